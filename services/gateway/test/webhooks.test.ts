import request from 'supertest';
import type { Batch, DeliveryStatus } from '@pixmill/db';
import { batchDetail, batchSummary } from '../src/batches/batch-view';
import { resultsLinkUrl, signResultsLink, verifyResultsLink } from '@pixmill/batch-state';
import { webhookStatuses, webhookStatusOf } from '../src/batches/webhook-status';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

describe('webhook deliveries API', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    [alice, bob, admin] = await Promise.all([gw.createUser(), gw.createUser(), gw.createUser('admin')]);
  });
  afterAll(() => gw?.close());

  const as = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });

  type BatchFields = Partial<Pick<Batch, 'status' | 'completedAt' | 'webhookUrl' | 'webhookDisabled'>>;
  async function batch(owner: TestUser, o: BatchFields = {}): Promise<Batch> {
    return gw.deps.prisma.batch.create({
      data: {
        ownerId: owner.id,
        sourceKind: 'upload',
        recipe: {},
        status: 'completed',
        completedAt: new Date(),
        webhookUrl: 'https://hooks.example/in',
        webhookSecret: 'whsec_c2VjcmV0',
        ...o,
      },
    });
  }

  let clock = Date.now() - 3600_000;
  async function attempt(
    b: Batch,
    eventId: string,
    n: number,
    status: DeliveryStatus,
    o: { statusCode?: number; error?: string; next?: boolean } = {},
  ) {
    return gw.deps.prisma.webhookDelivery.create({
      data: {
        batchId: b.id,
        eventId,
        event: 'batch.completed',
        attempt: n,
        url: b.webhookUrl ?? 'https://hooks.example/in',
        payload: { type: 'batch.completed' },
        status,
        statusCode: o.statusCode ?? null,
        error: o.error ?? null,
        durationMs: status === 'pending' ? null : 12,
        createdAt: new Date((clock += 1000)),
        nextAttemptAt: o.next ? new Date(clock + 5000) : null,
      },
    });
  }

  const outbox = (prefix: string) =>
    gw.deps.prisma.outboxMessage.findMany({ where: { messageId: { startsWith: prefix } }, orderBy: { id: 'asc' } });

  describe('GET /api/v1/batches/:id/webhook-deliveries', () => {
    it('lists every attempt, newest first, with the batch webhook status', async () => {
      const b = await batch(alice);
      await attempt(b, 'evt_list', 1, 'failed', { statusCode: 500, error: 'HTTP 500', next: true });
      await attempt(b, 'evt_list', 2, 'succeeded', { statusCode: 200 });
      const res = await request(gw.app).get(`/api/v1/batches/${b.id}/webhook-deliveries`).set(as(alice)).expect(200);
      expect(dataOf(res)).toMatchObject({
        batch_id: b.id,
        webhook_url: 'https://hooks.example/in',
        webhook_status: 'sent',
        webhook_disabled: false,
        total: 2,
        page: 1,
      });
      expect(
        dataOf(res).items.map((d: { attempt: number; status: string; status_code: number }) => [
          d.attempt,
          d.status,
          d.status_code,
        ]),
      ).toEqual([
        [2, 'succeeded', 200],
        [1, 'failed', 500],
      ]);
      expect(dataOf(res).items[1]).toMatchObject({
        event_id: 'evt_list',
        event: 'batch.completed',
        error: 'HTTP 500',
        duration_ms: 12,
      });
      expect(Date.parse(dataOf(res).items[1].next_attempt_at)).not.toBeNaN();
      expect(Date.parse(dataOf(res).items[1].attempted_at)).not.toBeNaN();
      expect(JSON.stringify(dataOf(res))).not.toContain('whsec_');
    });

    it('pages', async () => {
      const b = await batch(alice);
      for (let n = 1; n <= 3; n++) await attempt(b, 'evt_pages', n, 'failed', { statusCode: 503, next: n < 3 });
      const res = await request(gw.app)
        .get(`/api/v1/batches/${b.id}/webhook-deliveries?per_page=2&page=2`)
        .set(as(alice))
        .expect(200);
      expect(dataOf(res)).toMatchObject({ total: 3, page: 2, per_page: 2, webhook_status: 'failed' });
      expect(dataOf(res).items.map((d: { attempt: number }) => d.attempt)).toEqual([1]);
    });

    it('answers 404 for another user’s batch, and shows it to an admin', async () => {
      const b = await batch(alice);
      await attempt(b, 'evt_foreign', 1, 'succeeded', { statusCode: 200 });
      const res = await request(gw.app).get(`/api/v1/batches/${b.id}/webhook-deliveries`).set(as(bob)).expect(404);
      expect(errorOf(res).code).toBe('not_found');
      await request(gw.app).get(`/api/v1/batches/${b.id}/webhook-deliveries`).set(as(admin)).expect(200);
      await request(gw.app).get('/api/v1/batches/not-a-uuid/webhook-deliveries').set(as(alice)).expect(404);
    });
  });

  describe('POST /api/v1/batches/:id/webhook-deliveries/:delivery/redeliver', () => {
    it('queues the next attempt of the same event through the outbox', async () => {
      const b = await batch(alice);
      const d = await attempt(b, 'evt_again', 1, 'succeeded', { statusCode: 200 });
      const res = await request(gw.app)
        .post(`/api/v1/batches/${b.id}/webhook-deliveries/${d.id}/redeliver`)
        .set(as(alice))
        .expect(202);
      expect(dataOf(res)).toEqual({ delivery_id: d.id, event_id: 'evt_again', attempt: 2, status: 'queued' });
      const [msg, ...rest] = await outbox('evt_again.');
      expect(rest).toEqual([]);
      expect(msg).toMatchObject({ queue: 'notify.webhook', messageId: 'evt_again.2' });
      expect(msg!.payload).toEqual({ v: 1, batchId: b.id, eventId: 'evt_again', event: 'batch.completed', attempt: 2 });
    });

    it('queues one attempt when asked twice before the notifier gets to it', async () => {
      const b = await batch(alice);
      const d = await attempt(b, 'evt_twice', 1, 'failed', { statusCode: 404 });
      const url = `/api/v1/batches/${b.id}/webhook-deliveries/${d.id}/redeliver`;
      await Promise.all([
        request(gw.app).post(url).set(as(alice)).expect(202),
        request(gw.app).post(url).set(as(alice)).expect(202),
      ]);
      expect((await outbox('evt_twice.')).map((m) => m.messageId)).toEqual(['evt_twice.2']);
    });

    it('refuses while the event is still being delivered', async () => {
      const b = await batch(alice);
      const d = await attempt(b, 'evt_busy', 1, 'failed', { statusCode: 500, next: true });
      const res = await request(gw.app)
        .post(`/api/v1/batches/${b.id}/webhook-deliveries/${d.id}/redeliver`)
        .set(as(alice))
        .expect(409);
      expect(errorOf(res).details).toMatchObject({ code: 'delivery_in_progress' });
      expect(await outbox('evt_busy.')).toEqual([]);
    });

    it('re-enables the webhooks of a batch whose receiver answered 410', async () => {
      const b = await batch(alice, { webhookDisabled: true });
      const d = await attempt(b, 'evt_gone', 1, 'disabled', { statusCode: 410 });
      await request(gw.app)
        .post(`/api/v1/batches/${b.id}/webhook-deliveries/${d.id}/redeliver`)
        .set(as(alice))
        .expect(202);
      expect((await gw.deps.prisma.batch.findUniqueOrThrow({ where: { id: b.id } })).webhookDisabled).toBe(false);
      expect((await outbox('evt_gone.')).map((m) => m.messageId)).toEqual(['evt_gone.2']);
    });

    it('answers 404 for a delivery of another batch or of another user, 409 without a webhook_url', async () => {
      const mine = await batch(alice);
      const other = await batch(alice);
      const d = await attempt(other, 'evt_other', 1, 'succeeded', { statusCode: 200 });
      await request(gw.app)
        .post(`/api/v1/batches/${mine.id}/webhook-deliveries/${d.id}/redeliver`)
        .set(as(alice))
        .expect(404);
      await request(gw.app)
        .post(`/api/v1/batches/${other.id}/webhook-deliveries/${d.id}/redeliver`)
        .set(as(bob))
        .expect(404);
      await request(gw.app)
        .post(`/api/v1/batches/${other.id}/webhook-deliveries/nope/redeliver`)
        .set(as(alice))
        .expect(404);
      const noHook = await batch(alice);
      const e = await attempt(noHook, 'evt_nohook', 1, 'succeeded', { statusCode: 200 });
      await gw.deps.prisma.batch.update({ where: { id: noHook.id }, data: { webhookUrl: null } });
      const res = await request(gw.app)
        .post(`/api/v1/batches/${noHook.id}/webhook-deliveries/${e.id}/redeliver`)
        .set(as(alice))
        .expect(409);
      expect(errorOf(res).details).toMatchObject({ code: 'no_webhook' });
      expect(await outbox('evt_other.')).toEqual([]);
    });
  });

  describe('webhook_status', () => {
    it('says not_sent, pending, sent or failed from the delivery log', async () => {
      const noHook = await batch(alice, { webhookUrl: null });
      const running = await batch(alice, { status: 'processing', completedAt: null });
      const waiting = await batch(alice); // ended, event not yet attempted
      const inFlight = await batch(alice);
      await attempt(inFlight, 'evt_s1', 1, 'pending');
      const retrying = await batch(alice);
      await attempt(retrying, 'evt_s2', 1, 'failed', { statusCode: 500, next: true });
      const sent = await batch(alice);
      await attempt(sent, 'evt_s3', 1, 'failed', { statusCode: 500, next: true });
      await attempt(sent, 'evt_s3', 2, 'succeeded', { statusCode: 200 });
      const gaveUp = await batch(alice);
      await attempt(gaveUp, 'evt_s4', 1, 'failed', { statusCode: 500 });
      const gone = await batch(alice, { webhookDisabled: true });
      await attempt(gone, 'evt_s5', 1, 'disabled', { statusCode: 410 });
      const redeliveryFailed = await batch(alice);
      await attempt(redeliveryFailed, 'evt_s6', 1, 'succeeded', { statusCode: 200 });
      await attempt(redeliveryFailed, 'evt_s6', 2, 'failed', { statusCode: 404 });

      const all = [noHook, running, waiting, inFlight, retrying, sent, gaveUp, gone, redeliveryFailed];
      const statuses = await webhookStatuses(gw.deps.prisma, all);
      expect(all.map((b) => statuses.get(b.id))).toEqual([
        'not_sent',
        'not_sent',
        'pending',
        'pending',
        'pending',
        'sent',
        'failed',
        'failed',
        'sent',
      ]);
      expect(await webhookStatusOf(gw.deps.prisma, retrying)).toBe('pending');
    });

    it('appears in the batch views when the route passes it, and only then', () => {
      const b = {
        id: '3b2e4c55-0a3f-4a44-9a8f-3e2f8f6f0d11',
        ownerId: alice.id,
        name: null,
        status: 'completed',
        sourceKind: 'upload',
        recipe: {},
        totalImages: 1,
        processedImages: 1,
        succeededImages: 1,
        failedImages: 0,
        createdAt: new Date(),
        startedAt: new Date(),
        completedAt: new Date(),
        chunkSize: 500,
        webhookUrl: 'https://hooks.example/in',
      } as unknown as Batch;
      expect(batchSummary({ ...b, webhookStatus: 'sent' })).toMatchObject({ webhook_status: 'sent' });
      expect(batchDetail({ ...b, webhookStatus: 'failed' }, { total: 0, current: null })).toMatchObject({
        webhook_status: 'failed',
      });
      expect(batchSummary(b)).not.toHaveProperty('webhook_status');
    });
  });
});

describe('signed results links', () => {
  const secret = 'pixmill-test-jwt-secret-0123456789abcdef';
  const id = '3b2e4c55-0a3f-4a44-9a8f-3e2f8f6f0d11';
  const now = new Date('2030-01-01T00:00:00Z');

  it('verifies for its batch until it expires', () => {
    const token = signResultsLink(secret, id, { ttlSeconds: 60, now });
    expect(verifyResultsLink(secret, id, token, now)).toBe(true);
    expect(verifyResultsLink(secret, id, token, new Date(now.getTime() + 59_000))).toBe(true);
    expect(verifyResultsLink(secret, id, token, new Date(now.getTime() + 60_000))).toBe(false);
  });

  it('fails for another batch, another secret, a changed expiry or garbage', () => {
    const token = signResultsLink(secret, id, { now });
    const [exp, mac] = token.split('.');
    expect(verifyResultsLink(secret, '00000000-0000-4000-8000-000000000000', token, now)).toBe(false);
    expect(verifyResultsLink(`${secret}x`, id, token, now)).toBe(false);
    expect(verifyResultsLink(secret, id, `${Number(exp) + 1}.${mac}`, now)).toBe(false);
    expect(verifyResultsLink(secret, id, '', now)).toBe(false);
    expect(verifyResultsLink(secret, id, 'x.y', now)).toBe(false);
  });

  it('builds the results.csv URL under the public URL', () => {
    const url = new URL(resultsLinkUrl('https://pix.example/base/', secret, id, { now }));
    expect(url.pathname).toBe(`/base/api/v1/batches/${id}/results.csv`);
    expect(verifyResultsLink(secret, id, url.searchParams.get('token')!, now)).toBe(true);
  });
});
