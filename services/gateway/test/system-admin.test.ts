import request from 'supertest';
import { enqueue, PermanentError, type MemoryTransport } from '@pixmill/queue';
import { bearer, existing, seedBatch } from './batch-fixtures';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

let gw: TestGateway;
let admin: TestUser;
let alice: TestUser;

beforeAll(async () => {
  gw = await startGateway();
  admin = await gw.createUser('admin');
  alice = await gw.createUser();
});
afterAll(() => gw?.close());

describe('GET /system/stats', () => {
  it("counts the caller's batches and images; an admin's cover everyone", async () => {
    const bob = await gw.createUser();
    await seedBatch(gw, bob.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'succeeded' }, { status: 'failed' }],
    });
    await seedBatch(gw, bob.id, { status: 'pending', images: [{}] });
    await seedBatch(gw, alice.id, { status: 'failed', images: [{ status: 'failed' }] });
    const mine = dataOf(await request(gw.app).get('/api/v1/system/stats').set(bearer(bob.token)).expect(200));
    expect(mine).toMatchObject({
      scope: 'own',
      batches: { total: 2, by_status: { completed: 1, pending: 1 } },
      images: { total: 4, processed: 3, succeeded: 2, failed: 1, success_rate: 66.67 },
    });
    expect(mine.queues['resize.image']).toMatchObject({ ready: expect.any(Number), consumers: expect.any(Number) });
    const all = dataOf(await request(gw.app).get('/api/v1/system/stats').set(bearer(admin.token)).expect(200));
    expect(all.scope).toBe('all');
    expect(all.batches.total).toBeGreaterThanOrEqual(3);
    expect(all.images.failed).toBeGreaterThanOrEqual(2);
  });
});

describe('admin queue status and reset', () => {
  it('reports stuck images per batch, and reset re-queues them', async () => {
    const old = new Date(Date.now() - 2 * 3_600_000);
    const b = await seedBatch(gw, alice.id, {
      status: 'processing',
      images: [{ status: 'processing', startedAt: old }, { status: 'processing', startedAt: new Date() }, {}],
    });
    const status = dataOf(
      await request(gw.app).get('/api/v1/admin/queue/status?stuck_minutes=60').set(bearer(admin.token)).expect(200),
    );
    expect(status.stuck_images.threshold_minutes).toBe(60);
    expect(status.stuck_images.batches).toContainEqual({
      batch_id: b.id,
      count: 1,
      oldest_started_at: old.toISOString(),
    });
    expect(status.outbox).toMatchObject({ unpublished: expect.any(Number) });

    const reset = await request(gw.app)
      .post(`/api/v1/admin/batch/${b.id}/reset`)
      .set(bearer(admin.token))
      .send({ stuck_minutes: 60 })
      .expect(200);
    // The stuck image and the pending one are queued; the recent in-flight one is left to its worker.
    expect(dataOf(reset)).toMatchObject({ action: 'reset', reset_images: 1, enqueued: { images: 2, chunks: 0 } });
    const images = await gw.deps.prisma.image.findMany({ where: { batchId: b.id }, orderBy: { rowNumber: 'asc' } });
    expect(images.map((i) => i.status)).toEqual(['pending', 'processing', 'pending']);
    const after = dataOf(
      await request(gw.app).get('/api/v1/admin/queue/status?stuck_minutes=60').set(bearer(admin.token)),
    );
    expect(after.stuck_images.batches.map((x: { batch_id: string }) => x.batch_id)).not.toContain(b.id);
  });

  it('reset answers 409 for a finished batch and 404 for an unknown one', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const res = await request(gw.app)
      .post(`/api/v1/admin/batch/${b.id}/reset`)
      .set(bearer(admin.token))
      .send({})
      .expect(409);
    expect(errorOf(res)).toMatchObject({
      code: 'batch_state_error',
      details: { action: 'reset', current_state: 'completed' },
    });
    await request(gw.app)
      .post('/api/v1/admin/batch/00000000-0000-4000-8000-000000000000/reset')
      .set(bearer(admin.token))
      .send({})
      .expect(404);
  });
});

describe('admin cleanup', () => {
  it('purges dead letters, old published jobs and expired soft-deleted batches (with their objects)', async () => {
    const transport = gw.deps.transport as MemoryTransport;
    // A message its handler refuses for good goes to the dead-letter queue.
    const consumer = await transport.consume('notify.webhook', () => Promise.reject(new PermanentError('refused')));
    await transport.publish('notify.webhook', {
      v: 1,
      batchId: '00000000-0000-4000-8000-000000000000',
      eventId: 'evt_x',
      event: 'batch.completed',
      attempt: 1,
    });
    for (let i = 0; i < 100 && (await transport.depth('notify.webhook')).deadLettered === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await consumer.cancel();
    expect((await transport.depth('notify.webhook')).deadLettered).toBe(1);

    await enqueue(gw.deps.prisma, 'resize.image', {
      v: 1,
      batchId: '00000000-0000-4000-8000-000000000000',
      imageId: '00000000-0000-4000-8000-000000000001',
    });
    await gw.deps.prisma.outboxMessage.updateMany({ data: { publishedAt: new Date(Date.now() - 40 * 86_400_000) } });

    const expired = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const keptDeleted = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    await request(gw.app)
      .post(`/api/v1/batches/${expired.id}/soft-delete`)
      .set(bearer(alice.token))
      .send({ retention_days: 0 })
      .expect(200);
    await request(gw.app)
      .post(`/api/v1/batches/${keptDeleted.id}/soft-delete`)
      .set(bearer(alice.token))
      .send({ retention_days: 5 })
      .expect(200);

    const res = await request(gw.app)
      .post('/api/v1/admin/queue/cleanup')
      .set(bearer(admin.token))
      .send({ purge_dead_letters: ['notify.webhook'], published_jobs_older_than_days: 30, purge_deleted_batches: true })
      .expect(200);
    expect(dataOf(res)).toMatchObject({
      dead_letters_purged: { 'notify.webhook': 1 },
      deleted_batches_purged: 1,
      objects_deleted: 2,
    });
    expect(dataOf(res).published_jobs_deleted).toBeGreaterThanOrEqual(1);
    expect((await transport.depth('notify.webhook')).deadLettered).toBe(0);
    expect(await gw.deps.prisma.outboxMessage.count({ where: { publishedAt: { not: null } } })).toBe(0);
    expect(await gw.deps.prisma.batch.count({ where: { id: expired.id } })).toBe(0);
    expect(await existing(gw, [...expired.originalKeys, ...expired.outputKeys])).toEqual([]);
    expect(await gw.deps.prisma.batch.count({ where: { id: keptDeleted.id } })).toBe(1);
    expect(await existing(gw, keptDeleted.originalKeys)).toHaveLength(1);
  });
});

describe('health and analyze', () => {
  it('groups failures by category with counts, percentages, top errors and advice', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [
        { status: 'succeeded' },
        { status: 'failed', original: false, errorCode: 'http_404', errorMessage: 'img.example answered HTTP 404' },
        { status: 'failed', original: false, errorCode: 'http_404', errorMessage: 'img.example answered HTTP 404' },
        { status: 'failed', original: false, errorCode: 'blocked_address', errorMessage: 'private address' },
        { status: 'failed', original: false, errorCode: 'timeout', errorMessage: 'fetch timed out' },
        { status: 'failed', errorCode: 'timeout', errorMessage: 'processing timed out' },
        { status: 'failed', errorCode: 'pixel_limit', errorMessage: 'too many pixels' },
        { status: 'failed', original: false, errorCode: 'not_an_image', errorMessage: 'text/html' },
      ],
    });
    const a = dataOf(await request(gw.app).get(`/api/v1/batches/${b.id}/analyze`).set(bearer(alice.token)).expect(200));
    expect(a).toMatchObject({ failed_images: 7, processed_images: 8, failure_rate: 87.5 });
    const cats = Object.fromEntries(
      a.categories.map((c: { category: string; count: number }) => [c.category, c.count]),
    );
    expect(cats).toEqual({ http: 2, blocked: 1, network: 1, processing: 1, too_large: 1, not_an_image: 1 });
    expect(a.categories[0]).toMatchObject({ category: 'http', percentage: 28.57, codes: { http_404: 2 } });
    expect(a.top_errors[0]).toMatchObject({ code: 'http_404', count: 2, message: 'img.example answered HTTP 404' });
    expect(a.recommendations.join(' ')).toMatch(/private, loopback/);
  });

  it('scores a clean finished batch healthy and a failing, stalled one unhealthy', async () => {
    const good = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'succeeded' }],
    });
    const h1 = dataOf(
      await request(gw.app).get(`/api/v1/batches/${good.id}/health`).set(bearer(alice.token)).expect(200),
    );
    expect(h1).toMatchObject({ health_score: 100, health_status: 'healthy', issues: [] });

    const long = new Date(Date.now() - 3_600_000);
    const bad = await seedBatch(gw, alice.id, {
      status: 'processing',
      startedAt: long,
      updatedAt: long,
      images: [
        ...Array.from({ length: 6 }, () => ({ status: 'failed' as const, errorCode: 'corrupt', processedAt: long })),
        { status: 'succeeded' as const, processedAt: long },
        { status: 'processing' as const, startedAt: long },
      ],
    });
    const h2 = dataOf(
      await request(gw.app).get(`/api/v1/batches/${bad.id}/health`).set(bearer(alice.token)).expect(200),
    );
    expect(h2.health_status).toBe('unhealthy');
    expect(h2.health_score).toBeLessThan(50);
    expect(h2.components.speed.score).toBe(0);
    expect(h2.stuck_images).toBe(1);
    expect(h2.issues.join(' ')).toMatch(/no image finished/);
    expect(h2.recommendations.join(' ')).toMatch(/analyze/);
  });
});
