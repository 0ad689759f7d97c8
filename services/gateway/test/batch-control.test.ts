import request from 'supertest';
import { BATCH_ACTIONS, BATCH_STATUSES } from '@pixmill/batch-state';
import type { BatchStatus } from '@pixmill/db';
import { bearer, existing, seedBatch } from './batch-fixtures';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

const STATES: readonly BatchStatus[] = BATCH_STATUSES;

let gw: TestGateway;
let alice: TestUser;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createUser();
});
afterAll(() => gw?.close());

const post = (path: string, body?: object, user = alice) => {
  const r = request(gw.app).post(path).set(bearer(user.token));
  return body ? r.send(body) : r;
};
const outboxFor = (batchId: string, queue: string) =>
  gw.deps.prisma.outboxMessage.findMany({ where: { queue, payload: { path: ['batchId'], equals: batchId } } });

describe('control actions over HTTP, in every state', () => {
  const actions: [string, keyof typeof BATCH_ACTIONS, object | undefined][] = [
    ['start', 'start', undefined],
    ['force-start', 'force-start', { skip_validation: true }],
    ['pause', 'pause', undefined],
    ['resume', 'resume', undefined],
    ['cancel', 'cancel', undefined],
    ['retry-failed', 'retry-failed', undefined],
  ];
  for (const [path, action, body] of actions) {
    for (const state of STATES) {
      const allowed = (BATCH_ACTIONS[action] as readonly string[]).includes(state);
      it(`${path} ${allowed ? 'accepts' : 'refuses with 409'} a ${state} batch`, async () => {
        const b = await seedBatch(gw, alice.id, { status: state, images: [{ status: 'failed' }, {}] });
        const res = await post(`/api/v1/batches/${b.id}/${path}`, body);
        if (allowed) {
          expect(res.status).toBe(200);
          expect(dataOf(res).action).toBe(path);
          expect(dataOf(res).status).not.toBe(state);
        } else {
          expect(res.status).toBe(409);
          expect(errorOf(res).code).toBe('batch_state_error');
          expect(errorOf(res).details).toMatchObject({ action, current_state: state });
          expect(errorOf(res).error).toContain(state);
          const row = await gw.deps.prisma.batch.findUniqueOrThrow({ where: { id: b.id } });
          expect(row.status).toBe(state);
        }
      });
    }
  }
});

describe('start and force-start', () => {
  it('start queues the jobs of a batch created with auto_start=false', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'pending', images: [{}, {}, {}] });
    const res = await post(`/api/v1/batches/${b.id}/start`).expect(200);
    expect(dataOf(res)).toMatchObject({ status: 'queued', enqueued: { images: 3, chunks: 0 } });
    expect(await outboxFor(b.id, 'resize.image')).toHaveLength(3);
  });

  it('start refuses a batch whose originals are gone (422 with the problems); force-start skip_validation starts it', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'pending', images: [{}, {}] });
    await gw.deps.store.delete(b.originalKeys[0]!);
    const res = await post(`/api/v1/batches/${b.id}/start`).expect(422);
    expect(errorOf(res).code).toBe('batch_validation_failed');
    expect(errorOf(res).details.problems.join(' ')).toMatch(/missing from storage/);
    expect(await outboxFor(b.id, 'resize.image')).toHaveLength(0);

    await post(`/api/v1/batches/${b.id}/force-start`, {}).expect(422);
    const forced = await post(`/api/v1/batches/${b.id}/force-start`, { skip_validation: true }).expect(200);
    expect(dataOf(forced)).toMatchObject({ status: 'queued', validated: false });
    expect(await outboxFor(b.id, 'resize.image')).toHaveLength(2);
  });

  it('force-start resumes a paused batch', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'paused', images: [{}, { status: 'succeeded' }] });
    const res = await post(`/api/v1/batches/${b.id}/force-start`, { skip_validation: true }).expect(200);
    expect(dataOf(res).status).toBe('processing');
    expect(dataOf(res).enqueued).toEqual({ images: 1, chunks: 0 });
  });
});

describe('pause, resume, cancel', () => {
  it('pause then resume re-queues only the still-pending images, once', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'processing',
      images: [{}, {}, { status: 'succeeded' }, { status: 'processing' }],
    });
    expect(dataOf(await post(`/api/v1/batches/${b.id}/pause`).expect(200)).status).toBe('paused');
    const resumed = await post(`/api/v1/batches/${b.id}/resume`).expect(200);
    expect(dataOf(resumed).enqueued).toEqual({ images: 2, chunks: 0 });
    await post(`/api/v1/batches/${b.id}/resume`).expect(409);
    const jobs = await outboxFor(b.id, 'resize.image');
    expect(jobs.map((j) => (j.payload as { imageId: string }).imageId).sort()).toEqual(b.imageIds.slice(0, 2).sort());
  });

  it('cancel answers the counts (cancelled images are not processed) and writes batch.cancelled for a webhook', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'processing',
      webhookUrl: 'https://receiver.example/hook',
      images: [{}, {}, { status: 'succeeded' }, { status: 'failed' }],
    });
    const res = await post(`/api/v1/batches/${b.id}/cancel`).expect(200);
    expect(dataOf(res)).toMatchObject({
      status: 'cancelled',
      cancelled_images: 2,
      cancelled_count: 2,
      processed_images: 2,
      total_images: 4,
    });
    const events = await outboxFor(b.id, 'notify.webhook');
    expect(events.map((e) => (e.payload as { event: string }).event)).toEqual(['batch.cancelled']);
    const open = await gw.deps.prisma.image.count({
      where: { batchId: b.id, status: { in: ['pending', 'fetching', 'processing'] } },
    });
    expect(open).toBe(0);
  });
});

describe('retry-failed', () => {
  it('puts only failed images back and fixes the counters', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'failed' }, { status: 'failed' }],
    });
    const res = await post(`/api/v1/batches/${b.id}/retry-failed`).expect(200);
    expect(dataOf(res)).toMatchObject({
      retried_images: 2,
      processed_images: 1,
      failed_count: 0,
      successful_count: 1,
      status: 'processing',
    });
    const jobs = (await outboxFor(b.id, 'resize.image')).map((j) => (j.payload as { imageId: string }).imageId);
    expect(jobs.sort()).toEqual(b.imageIds.slice(1).sort());
  });

  it('answers 409 naming the reason when nothing failed', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const res = await post(`/api/v1/batches/${b.id}/retry-failed`).expect(409);
    expect(errorOf(res).details).toMatchObject({ action: 'retry-failed', reason: 'it has no failed images' });
  });
});

describe('clone', () => {
  it('without results: a new pending batch of the same images, originals copied, nothing processed', async () => {
    const src = await seedBatch(gw, alice.id, {
      status: 'completed',
      name: 'spring',
      images: [{ status: 'succeeded' }, { status: 'failed' }],
    });
    const res = await post(`/api/v1/batches/${src.id}/clone`, {}).expect(201);
    expect(dataOf(res)).toMatchObject({
      batch_name: 'spring (copy)',
      status: 'pending',
      cloned_from: src.id,
      total_images: 2,
      processed_images: 0,
    });
    const cloneId = dataOf(res).batch_id as string;
    const images = await gw.deps.prisma.image.findMany({ where: { batchId: cloneId }, include: { outputs: true } });
    expect(images.map((i) => i.status)).toEqual(['pending', 'pending']);
    expect(images.every((i) => i.outputs.length === 0 && i.originalKey!.startsWith(`originals/${cloneId}/`))).toBe(
      true,
    );
    expect(
      await existing(
        gw,
        images.map((i) => i.originalKey!),
      ),
    ).toHaveLength(2);

    // The copy does not depend on the source: delete the source, the clone starts and keeps its originals.
    await request(gw.app).delete(`/api/v1/batches/${src.id}`).set(bearer(alice.token)).expect(200);
    expect(
      await existing(
        gw,
        images.map((i) => i.originalKey!),
      ),
    ).toHaveLength(2);
    await post(`/api/v1/batches/${cloneId}/start`).expect(200);
  });

  it('with results: keeps outcomes, counters and (copied) outputs; only unfinished images are left to run', async () => {
    const src = await seedBatch(gw, alice.id, {
      status: 'cancelled',
      images: [{ status: 'succeeded', variants: ['a', 'b'] }, { status: 'failed' }, { status: 'cancelled' }],
    });
    const res = await post(`/api/v1/batches/${src.id}/clone`, {
      new_name: 'again',
      copy_results: true,
      auto_start: true,
    }).expect(201);
    expect(dataOf(res)).toMatchObject({
      batch_name: 'again',
      status: 'queued',
      processed_images: 2,
      successful_count: 1,
      failed_count: 1,
      copy_results: true,
    });
    const cloneId = dataOf(res).batch_id as string;
    const images = await gw.deps.prisma.image.findMany({
      where: { batchId: cloneId },
      include: { outputs: true },
      orderBy: { rowNumber: 'asc' },
    });
    expect(images.map((i) => i.status)).toEqual(['succeeded', 'failed', 'pending']);
    expect(images[1]!.errorCode).toBe('corrupt');
    const keys = images[0]!.outputs.map((o) => o.storageKey).sort();
    expect(keys).toEqual([`outputs/${cloneId}/${images[0]!.id}/a.webp`, `outputs/${cloneId}/${images[0]!.id}/b.webp`]);
    expect(await existing(gw, keys)).toHaveLength(2);
    const body = await gw.deps.store.get(keys[0]!);
    const chunks: Buffer[] = [];
    for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('output 0 a');
    // auto_start queued exactly the one image left to do.
    const jobs = await outboxFor(cloneId, 'resize.image');
    expect(jobs.map((j) => (j.payload as { imageId: string }).imageId)).toEqual([images[2]!.id]);
  });
  it('of a URL batch: copies its chunks, input CSV and manifests; URLs that never gave an original are fetched again', async () => {
    const src = await seedBatch(gw, alice.id, {
      status: 'completed',
      sourceKind: 'csv',
      images: [
        { status: 'succeeded', sourceUrl: 'https://img.example/a.jpg' },
        { status: 'failed', original: false, sourceUrl: 'https://img.example/b.jpg' },
      ],
    });
    const { prisma, store } = gw.deps;
    const chunk = await prisma.chunk.create({
      data: { batchId: src.id, seq: 1, firstRow: 1, rowCount: 2, status: 'completed', completedAt: new Date() },
    });
    await prisma.image.updateMany({ where: { batchId: src.id }, data: { chunkId: chunk.id } });
    await prisma.batch.update({ where: { id: src.id }, data: { sourceKey: `uploads/${src.id}/input.csv` } });
    await store.put(`uploads/${src.id}/input.csv`, Buffer.from('url\n'));
    const manifest = { v: 1, batchId: src.id, seq: 1, firstRow: 1, rowCount: 2, rows: [] };
    await store.put(`uploads/${src.id}/chunks/000001.json`, Buffer.from(JSON.stringify(manifest)));

    const res = await post(`/api/v1/batches/${src.id}/clone`, { auto_start: true }).expect(201);
    const cloneId = dataOf(res).batch_id as string;
    const clone = await prisma.batch.findUniqueOrThrow({ where: { id: cloneId }, include: { chunks: true } });
    expect(clone).toMatchObject({ sourceKind: 'csv', sourceKey: `uploads/${cloneId}/input.csv`, status: 'queued' });
    expect(clone.chunks.map((c) => [c.seq, c.status])).toEqual([[1, 'pending']]);
    const copied = await store.get(`uploads/${cloneId}/chunks/000001.json`);
    const parts: Buffer[] = [];
    for await (const c of copied as AsyncIterable<Buffer>) parts.push(c);
    expect(JSON.parse(Buffer.concat(parts).toString())).toEqual({ ...manifest, batchId: cloneId });
    expect(await existing(gw, [`uploads/${cloneId}/input.csv`])).toHaveLength(1);
    const images = await prisma.image.findMany({ where: { batchId: cloneId }, orderBy: { rowNumber: 'asc' } });
    expect(images.map((i) => [i.status, i.chunkId, i.originalKey === null])).toEqual([
      ['pending', clone.chunks[0]!.id, false],
      ['pending', clone.chunks[0]!.id, true],
    ]);
    // The image with an original is resized; the chunk is ingested again for the other.
    expect(await outboxFor(cloneId, 'resize.image')).toHaveLength(1);
    expect(await outboxFor(cloneId, 'ingest.chunk')).toHaveLength(1);
  });
});

describe('soft delete, restore and list', () => {
  it('hides a soft-deleted batch from the list, lists it with include_soft_deleted, restores it', async () => {
    const bob = await gw.createUser();
    const kept = await seedBatch(gw, bob.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const hidden = await seedBatch(gw, bob.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const res = await post(`/api/v1/batches/${hidden.id}/soft-delete`, { retention_days: 7 }, bob).expect(200);
    const purgeAfter = new Date(dataOf(res).purge_after as string).getTime();
    expect(purgeAfter - new Date(dataOf(res).deleted_at as string).getTime()).toBe(7 * 86_400_000);

    const list = (q = '') =>
      request(gw.app)
        .get(`/api/v1/batches${q}`)
        .set(bearer(bob.token))
        .expect(200)
        .then((r) => dataOf(r));
    expect((await list()).items.map((i: { batch_id: string }) => i.batch_id)).toEqual([kept.id]);
    const all = await list('?include_soft_deleted=true');
    expect(all.total).toBe(2);
    expect(all.items.find((i: { batch_id: string }) => i.batch_id === hidden.id).deleted_at).not.toBeNull();
    // Still readable by id while it waits for its purge.
    await request(gw.app).get(`/api/v1/batches/${hidden.id}`).set(bearer(bob.token)).expect(200);

    await post(`/api/v1/batches/${hidden.id}/soft-delete`, {}, bob).expect(409);
    await post(`/api/v1/batches/${hidden.id}/restore`, undefined, bob).expect(200);
    expect((await list()).total).toBe(2);
    await post(`/api/v1/batches/${hidden.id}/restore`, undefined, bob).expect(409);
  });

  it('refuses to soft-delete a running batch', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'processing' });
    const res = await post(`/api/v1/batches/${b.id}/soft-delete`, {}).expect(409);
    expect(errorOf(res).details.current_state).toBe('processing');
  });

  it('lists newest first with status and date filters and pages with a total', async () => {
    const carol = await gw.createUser();
    const day = 86_400_000;
    const old = await seedBatch(gw, carol.id, { status: 'completed', createdAt: new Date(Date.now() - 10 * day) });
    const mid = await seedBatch(gw, carol.id, { status: 'failed', createdAt: new Date(Date.now() - 5 * day) });
    const recent = await seedBatch(gw, carol.id, { status: 'completed', createdAt: new Date(Date.now() - day) });
    const get = (q: string) =>
      request(gw.app)
        .get(`/api/v1/batches${q}`)
        .set(bearer(carol.token))
        .expect(200)
        .then((r) => dataOf(r));
    const ids = (b: { items: { batch_id: string }[] }) => b.items.map((i) => i.batch_id);

    expect(ids(await get(''))).toEqual([recent.id, mid.id, old.id]);
    expect(ids(await get('?status=completed'))).toEqual([recent.id, old.id]);
    expect(ids(await get('?status=failed,pending'))).toEqual([mid.id]);
    const since = new Date(Date.now() - 7 * day).toISOString();
    expect(ids(await get(`?start_date=${since}`))).toEqual([recent.id, mid.id]);
    const page2 = await get('?per_page=2&page=2');
    expect(page2).toMatchObject({ total: 3, total_pages: 2, page: 2, per_page: 2 });
    expect(ids(page2)).toEqual([old.id]);
    await request(gw.app).get('/api/v1/batches?per_page=101').set(bearer(carol.token)).expect(400);
    await request(gw.app).get('/api/v1/batches?status=bogus').set(bearer(carol.token)).expect(400);
  });
});

describe('DELETE', () => {
  it('removes the batch, its rows and its stored objects', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'succeeded' }],
    });
    await gw.deps.store.put(`uploads/${b.id}/input.csv`, Buffer.from('url\n'));
    const keys = [...b.originalKeys, ...b.outputKeys, `uploads/${b.id}/input.csv`];
    expect(await existing(gw, keys)).toHaveLength(5);
    const res = await request(gw.app).delete(`/api/v1/batches/${b.id}`).set(bearer(alice.token)).expect(200);
    expect(dataOf(res)).toEqual({ batch_id: b.id, deleted: true, objects_deleted: 5 });
    expect(await existing(gw, keys)).toEqual([]);
    expect(await gw.deps.prisma.image.count({ where: { batchId: b.id } })).toBe(0);
    await request(gw.app).get(`/api/v1/batches/${b.id}`).set(bearer(alice.token)).expect(404);
  });

  it('needs force for an active batch, and then cancels it first', async () => {
    const b = await seedBatch(gw, alice.id, { status: 'processing', images: [{}] });
    const refused = await request(gw.app).delete(`/api/v1/batches/${b.id}`).set(bearer(alice.token)).expect(409);
    expect(errorOf(refused).details).toMatchObject({ action: 'delete', current_state: 'processing' });
    expect(await existing(gw, b.originalKeys)).toHaveLength(1);
    await request(gw.app).delete(`/api/v1/batches/${b.id}?force=true`).set(bearer(alice.token)).expect(200);
    expect(await existing(gw, b.originalKeys)).toEqual([]);
    expect(await gw.deps.prisma.batch.count({ where: { id: b.id } })).toBe(0);
  });
});
