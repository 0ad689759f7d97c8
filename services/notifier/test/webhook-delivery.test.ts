// The notifier against real PostgreSQL, RabbitMQ and HTTP receivers on loopback.
import diagnostics from 'node:diagnostics_channel';
import { verifyResultsLink } from '@pixmill/batch-state';
import type { Lookup } from '@pixmill/safe-fetch';
import { JWT_SECRET, startHarness, type Harness } from './support/notifier-harness';
import { startReceiver, verifyHmac, verifyStandard, type Receiver } from './support/webhook-receiver';

const SCHEDULE = [1400, 1400, 1400]; // ±10% jitter keeps retries over a second apart: timestamps are whole seconds
const TIMEOUT_MS = 800;

// Names the stubbed DNS answers: a metadata endpoint and a private address. Nothing may connect to them.
const lookup: Lookup = async (host) => {
  if (host === 'metadata.test') return [{ address: '169.254.169.254', family: 4 }];
  if (host === 'intranet.test') return [{ address: '10.20.30.40', family: 4 }];
  throw Object.assign(new Error(`no such name ${host}`), { code: 'ENOTFOUND' });
};

let h: Harness;
let rx: Receiver;
let flaky: Receiver;
let trap: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  flaky = await startReceiver();
  trap = await startReceiver(); // not on the allow list: whatever reaches it is an SSRF hole
  h = await startHarness({
    lookup,
    settings: {
      FETCH_ALLOW_HOSTS: `${rx.host},${flaky.host}`,
      WEBHOOK_RETRY_SCHEDULE_MS: SCHEDULE.join(','),
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
    },
  });
});
afterAll(async () => {
  await h?.close();
  await Promise.all([rx?.close(), flaky?.close(), trap?.close()]);
});
afterEach(() => expect(trap.received()).toEqual([]));

const published = async (messageId: string) =>
  (await h.db.prisma.outboxMessage.findUnique({ where: { messageId } })) !== null;

describe('webhook delivery', () => {
  it('sends a signed batch.completed event that a Standard Webhooks receiver verifies', async () => {
    const { batchId, eventId, secret } = await h.endBatch({ webhookUrl: rx.url('/ok') });
    const [req] = await rx.waitFor('/ok', 1);
    expect(verifyStandard(secret, req!.body, req!.headers)).toBe(true);
    expect(verifyHmac(secret, req!.body, req!.headers['x-webhook-signature'])).toBe(true);
    const tampered = req!.body.replace('"failed_count":1', '"failed_count":0');
    expect(tampered).not.toBe(req!.body);
    expect(verifyStandard(secret, tampered, req!.headers)).toBe(false);
    expect(verifyHmac(secret, tampered, req!.headers['x-webhook-signature'])).toBe(false);

    expect(req!.headers).toMatchObject({
      'webhook-id': eventId,
      'content-type': 'application/json',
      'x-pixmill-event': 'batch.completed',
    });
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({
      type: 'batch.completed',
      data: {
        batch_id: batchId,
        request_id: batchId,
        status: 'completed',
        total_images: 2,
        processed_images: 2,
        successful_count: 1,
        failed_count: 1,
      },
    });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(Date.parse(body.data.completion_time)).not.toBeNaN();
    expect(body).toMatchObject({
      request_id: batchId,
      status: 'completed',
      total_images: 2,
      processed_images: 2,
      completion_time: body.data.completion_time,
      results_csv_url: body.data.results_csv_url,
    });
    const link = new URL(body.data.results_csv_url);
    expect(`${link.origin}${link.pathname}`).toBe(`https://pixmill.test/api/v1/batches/${batchId}/results.csv`);
    expect(verifyResultsLink(JWT_SECRET, batchId, link.searchParams.get('token')!)).toBe(true);

    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[0]?.status === 'succeeded' && r;
    }, 'the recorded attempt');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      attempt: 1,
      statusCode: 200,
      error: null,
      nextAttemptAt: null,
      url: rx.url('/ok'),
      batchId,
    });
    expect(rows[0]!.durationMs).toEqual(expect.any(Number));
  });

  it('sends batch.failed when every image failed', async () => {
    const { eventId } = await h.endBatch({ webhookUrl: rx.url('/failed'), failed: true });
    const [req] = await rx.waitFor('/failed', 1);
    expect(req!.headers['webhook-id']).toBe(eventId);
    expect(JSON.parse(req!.body)).toMatchObject({
      type: 'batch.failed',
      data: { status: 'failed', successful_count: 0 },
    });
  });

  it('retries 500 three times, then 200: four attempts, one webhook-id, fresh timestamps, the same body', async () => {
    rx.script('/flaky500', [{ status: 500, body: 'oops' }, { status: 500 }, { status: 503 }, { status: 200 }]);
    const { eventId, secret } = await h.endBatch({ webhookUrl: rx.url('/flaky500') });
    const reqs = await rx.waitFor('/flaky500', 4);
    expect(reqs.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId, eventId, eventId]);
    expect(reqs.map((r) => r.headers['x-pixmill-attempt'])).toEqual(['1', '2', '3', '4']);
    const stamps = reqs.map((r) => Number(r.headers['webhook-timestamp']));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    expect(new Set(reqs.map((r) => r.headers['webhook-signature'])).size).toBe(4);
    for (const r of reqs) expect(verifyStandard(secret, r.body, r.headers)).toBe(true);

    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[3]?.status === 'succeeded' && r;
    }, 'four recorded attempts');
    expect(rows.map((r) => [r.attempt, r.status, r.statusCode])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'failed', 503],
      [4, 'succeeded', 200],
    ]);
    expect(rows[0]!.error).toBe('HTTP 500: oops');
    for (const [i, r] of rows.slice(0, 3).entries()) {
      // The next attempt was planned on the schedule, with jitter.
      const planned = r.nextAttemptAt!.getTime() - r.createdAt.getTime();
      expect(planned).toBeGreaterThanOrEqual(SCHEDULE[i]! * 0.9 - 5);
      expect(planned).toBeLessThanOrEqual(SCHEDULE[i]! * 1.1 + 200);
    }
    expect(rows[3]!.nextAttemptAt).toBeNull();
  });

  it('gives up when the schedule is used up', async () => {
    rx.script('/down-for-good', [{ status: 503 }]);
    const { eventId } = await h.endBatch({ webhookUrl: rx.url('/down-for-good') });
    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[3]?.status === 'failed' && r;
    }, 'the last attempt');
    expect(rows.map((r) => [r.attempt, r.status, r.nextAttemptAt === null])).toEqual([
      [1, 'failed', false],
      [2, 'failed', false],
      [3, 'failed', false],
      [4, 'failed', true],
    ]);
    expect(rows[3]!.error).toMatch(/gave up/);
    expect(await published(`${eventId}.5`)).toBe(false);
    expect(rx.received('/down-for-good')).toHaveLength(4);
  });

  it('delivers once a receiver that was down comes back', async () => {
    await flaky.stop();
    const { eventId } = await h.endBatch({ webhookUrl: flaky.url('/back') });
    const first = await h.until(
      async () => (await h.deliveries(eventId))[0]?.nextAttemptAt && (await h.deliveries(eventId))[0],
      'a failed attempt',
    );
    expect(first).toMatchObject({ status: 'failed', statusCode: null });
    expect(first.error).toMatch(/^network: /);
    await flaky.start();
    const [req] = await flaky.waitFor('/back', 1);
    expect(req!.headers['webhook-id']).toBe(eventId);
    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r.some((x) => x.status === 'succeeded') && r;
    }, 'the delivery');
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(1);
  });

  it('stops for good on 410: webhooks of the batch are disabled, nothing more is sent', async () => {
    rx.script('/gone', [{ status: 410 }, { status: 200 }]);
    const { batchId, eventId } = await h.endBatch({ webhookUrl: rx.url('/gone') });
    const [row] = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[0]?.status === 'disabled' && r;
    }, 'the disabling attempt');
    expect(row).toMatchObject({ statusCode: 410, nextAttemptAt: null });
    expect((await h.db.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).webhookDisabled).toBe(true);
    expect(await published(`${eventId}.2`)).toBe(false);
    // A stray copy of the event finds the batch disabled and sends nothing.
    await h.transport.publish('notify.webhook', { v: 1, batchId, eventId, event: 'batch.completed', attempt: 2 });
    await h.until(async () => {
      const d = await h.transport.depth('notify.webhook');
      return d.ready === 0 && d.unacked === 0;
    }, 'the copy consumed');
    expect(rx.received('/gone')).toHaveLength(1);
    expect(await h.deliveries(eventId)).toHaveLength(1);
  });

  it.each([
    ['to another path of the receiver', () => rx.url('/elsewhere')],
    ['to a loopback port off the allow list', () => trap.url('/')],
    ['to the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('fails a 302 %s without following it or retrying', async (_name, location) => {
    const path = `/redirect-${Math.random().toString(36).slice(2)}`;
    rx.script(path, [{ status: 302, headers: { location: location() } }]);
    const { eventId } = await h.endBatch({ webhookUrl: rx.url(path) });
    const [row] = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[0] && r[0].status !== 'pending' && r;
    }, 'the attempt');
    expect(row).toMatchObject({ status: 'failed', statusCode: 302, nextAttemptAt: null });
    expect(row!.error).toBe(`HTTP 302: redirect to ${location()} not followed`);
    expect(rx.received('/elsewhere')).toEqual([]);
    expect(rx.received(path)).toHaveLength(1);
    expect(await published(`${eventId}.2`)).toBe(false);
  });

  it('aborts an attempt to a receiver that hangs at the timeout, and retries', async () => {
    rx.script('/hang', ['hang', { status: 200 }]);
    const { eventId } = await h.endBatch({ webhookUrl: rx.url('/hang') });
    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[1]?.status === 'succeeded' && r;
    }, 'the retry after the timeout');
    expect(rows[0]).toMatchObject({ status: 'failed', statusCode: null });
    expect(rows[0]!.error).toBe(`timeout: ${rx.host} did not answer within ${TIMEOUT_MS} ms`);
    expect(rows[0]!.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(rows[0]!.nextAttemptAt).not.toBeNull();
  });
});

describe('webhook delivery: SSRF guard at every delivery', () => {
  const connected: unknown[] = [];
  const onConnected = (m: unknown) => connected.push(m);
  beforeAll(() => diagnostics.subscribe('undici:client:connected', onConnected));
  afterAll(() => diagnostics.unsubscribe('undici:client:connected', onConnected));

  it.each([
    ['a loopback port that is not on the allow list', () => trap.url('/hook')],
    ['a name whose DNS answer is 169.254.169.254', () => 'http://metadata.test/hook'],
    ['a name whose DNS answer is a private address', () => 'https://intranet.test/hook'],
    ['a literal private address', () => 'http://10.0.0.1/hook'],
  ])('refuses %s and does not retry', async (_name, url) => {
    connected.length = 0;
    const { eventId } = await h.endBatch({ webhookUrl: url() });
    const [row] = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[0] && r[0].status !== 'pending' && r;
    }, 'the refused attempt');
    expect(row).toMatchObject({ status: 'failed', statusCode: null, nextAttemptAt: null });
    expect(row!.error).toMatch(/^blocked_address: .* private or reserved address; refused$/);
    expect(connected).toEqual([]);
    expect(await published(`${eventId}.2`)).toBe(false);
  });
});

describe('webhook delivery: one successful delivery per event', () => {
  it('sends once when the same event is consumed several times, at once and later', async () => {
    rx.script('/dup', [{ status: 200 }]);
    await h.stopWorker();
    const { batchId, eventId } = await h.endBatch({ webhookUrl: rx.url('/dup') });
    const job = { v: 1 as const, batchId, eventId, event: 'batch.completed' as const, attempt: 1 };
    // The outbox's copy plus two more, all waiting when the worker starts: they are handled concurrently.
    await h.transport.publish('notify.webhook', job);
    await h.transport.publish('notify.webhook', job);
    await h.until(async () => (await h.transport.depth('notify.webhook')).ready === 3, 'three copies queued');
    await h.startWorker();
    await rx.waitFor('/dup', 1);
    await h.until(async () => (await h.deliveries(eventId))[0]?.status === 'succeeded', 'the recorded delivery');
    // A copy arriving after the delivery is recorded changes nothing either.
    await h.transport.publish('notify.webhook', job);
    await h.until(async () => {
      const d = await h.transport.depth('notify.webhook');
      return d.ready === 0 && d.unacked === 0;
    }, 'every copy consumed');
    // Copies that found the attempt in flight look again after its lease: let those run too.
    const rechecks = await h.db.prisma.outboxMessage.findMany({
      where: { messageId: { startsWith: `${eventId}.1.recheck.` } },
    });
    if (rechecks.length > 0) {
      await h.until(
        async () =>
          (await h.db.prisma.outboxMessage.count({
            where: { messageId: { startsWith: `${eventId}.1.recheck.` }, publishedAt: null },
          })) === 0,
        'rechecks published',
        20_000,
      );
      await h.until(async () => {
        const d = await h.transport.depth('notify.webhook');
        return d.ready === 0 && d.unacked === 0;
      }, 'rechecks consumed');
    }
    expect(rx.received('/dup')).toHaveLength(1);
    const rows = await h.deliveries(eventId);
    expect(rows.map((r) => [r.attempt, r.status])).toEqual([[1, 'succeeded']]);
  });

  it('resumes an attempt left pending by a worker that died mid-request, once its lease has run out', async () => {
    rx.script('/orphan', [{ status: 200 }]);
    await h.stopWorker();
    const { batchId, eventId } = await h.endBatch({ webhookUrl: rx.url('/orphan') });
    // What a worker killed during the request leaves behind: the claimed row, and its message back in the queue.
    const claimedAt = new Date();
    await h.db.prisma.webhookDelivery.create({
      data: {
        batchId,
        eventId,
        event: 'batch.completed',
        attempt: 1,
        url: rx.url('/orphan'),
        payload: {},
        status: 'pending',
        createdAt: claimedAt,
      },
    });
    await h.startWorker();
    const recheck = await h.until(
      () =>
        h.db.prisma.outboxMessage.findUnique({ where: { messageId: `${eventId}.1.recheck.${claimedAt.getTime()}` } }),
      'a look again after the lease',
    );
    expect(recheck.availableAt.getTime() - claimedAt.getTime()).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(rx.received('/orphan')).toEqual([]); // not while the lease runs
    const [req] = await rx.waitFor('/orphan', 1, 30_000);
    expect(req!.headers['webhook-id']).toBe(eventId);
    const rows = await h.until(async () => {
      const r = await h.deliveries(eventId);
      return r[0]?.status === 'succeeded' && r;
    }, 'the taken-over attempt');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.createdAt.getTime()).toBeGreaterThan(claimedAt.getTime());
    expect(JSON.parse(req!.body).data.batch_id).toBe(batchId);
  });
});
