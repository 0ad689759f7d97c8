// Webhooks end to end: upload a batch with webhook_url → images resized → the batch ends and writes its event →
// outbox → RabbitMQ → notifier → a local receiver that verifies the signatures; the delivery log through the API.
import { verifyResultsLink } from '@pixmill/batch-state';
import { startReceiver, verifyHmac, verifyStandard, type Receiver } from '@pixmill/notifier/testing';
import { photo } from './support/images';
import { startPipeline, type Pipeline } from './support/pipeline';
import { dataOf, errorOf, readData } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type Delivery = {
  id: string;
  event_id: string;
  attempt: number;
  status: string;
  status_code: number | null;
  next_attempt_at: string | null;
};
type DeliveryList = { webhook_status: string; webhook_disabled: boolean; total: number; items: Delivery[] };

const SCHEDULE_MS = 1200; // over a second: each retry's webhook-timestamp (whole seconds) is then a new one

let p: Pipeline;
let rx: Receiver;
let trap: Receiver;
let alice: Auth;
let bob: Auth;

beforeAll(async () => {
  rx = await startReceiver();
  trap = await startReceiver(); // not on the allow list
  p = await startPipeline({
    FETCH_ALLOW_HOSTS: rx.host,
    WEBHOOK_RETRY_SCHEDULE_MS: [SCHEDULE_MS, SCHEDULE_MS, SCHEDULE_MS].join(','),
    WEBHOOK_TIMEOUT_MS: '3000',
  });
  alice = await p.userAuth('alice');
  bob = await p.userAuth('bob');
});
afterAll(async () => {
  await p?.close();
  await rx?.close();
  await trap?.close();
});
afterEach(() => expect(trap.received()).toEqual([]));

async function createBatch(auth: Auth, webhookUrl: string, images = 2) {
  const fd = new FormData();
  for (let i = 0; i < images; i++) {
    fd.append(
      'files[]',
      new Blob([new Uint8Array(await photo(320, 240, 'jpeg'))], { type: 'image/jpeg' }),
      `p${i}.jpg`,
    );
  }
  fd.append('webhook_url', webhookUrl);
  const res = await p.api('/api/v1/batches', { method: 'POST', auth, body: fd });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { batch_id: string; webhook_secret: string },
  };
}

async function deliveries(auth: Auth, batchId: string): Promise<DeliveryList> {
  const res = await p.api(`/api/v1/batches/${batchId}/webhook-deliveries`, { auth });
  expect(res.status).toBe(200);
  return (await readData(res)) as DeliveryList;
}

async function until<T>(
  probe: () => Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<Exclude<T, false | null | undefined | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as Exclude<T, false | null | undefined | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks end to end', () => {
  it('delivers batch.completed signed with the secret returned at creation; the log shows it sent; redelivery resends it', async () => {
    const created = await createBatch(alice, rx.url('/done'));
    expect(created.status).toBe(201);
    const secret = dataOf(created).webhook_secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const batchId = dataOf(created).batch_id;

    const [req] = await rx.waitFor('/done', 1, 60_000);
    expect(verifyStandard(secret, req!.body, req!.headers)).toBe(true);
    expect(verifyHmac(secret, req!.body, req!.headers['x-webhook-signature'])).toBe(true);
    const tampered = req!.body.replace(/"successful_count":\d+/, '"successful_count":99');
    expect(tampered).not.toBe(req!.body);
    expect(verifyStandard(secret, tampered, req!.headers)).toBe(false);
    expect(verifyHmac(secret, tampered, req!.headers['x-webhook-signature'])).toBe(false);

    const detail = await p.waitForBatch(alice, batchId);
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({
      type: 'batch.completed',
      data: {
        batch_id: batchId,
        request_id: batchId,
        status: 'completed',
        total_images: 2,
        processed_images: 2,
        successful_count: 2,
        failed_count: 0,
        completion_time: detail.completed_at,
      },
    });
    const link = new URL(body.data.results_csv_url);
    expect(link.pathname).toBe(`/api/v1/batches/${batchId}/results.csv`);
    expect(verifyResultsLink(p.settings.JWT_SECRET!, batchId, link.searchParams.get('token')!)).toBe(true);

    const log = await until(async () => {
      const l = await deliveries(alice, batchId);
      return l.items[0]?.status === 'succeeded' && l;
    }, 'the delivery recorded');
    expect(log).toMatchObject({ webhook_status: 'sent', webhook_disabled: false, total: 1 });
    expect(log.items[0]).toMatchObject({ attempt: 1, status_code: 200, event_id: req!.headers['webhook-id'] });
    expect((await p.api(`/api/v1/batches/${batchId}/webhook-deliveries`, { auth: bob })).status).toBe(404);

    const again = await p.api(`/api/v1/batches/${batchId}/webhook-deliveries/${log.items[0]!.id}/redeliver`, {
      method: 'POST',
      auth: alice,
    });
    expect(again.status).toBe(202);
    const [, second] = await rx.waitFor('/done', 2, 60_000);
    expect(second!.headers['webhook-id']).toBe(req!.headers['webhook-id']);
    expect(verifyStandard(secret, second!.body, second!.headers)).toBe(true);
    const after = await until(async () => {
      const l = await deliveries(alice, batchId);
      return l.items[0]?.attempt === 2 && l.items[0].status === 'succeeded' && l;
    }, 'the redelivery recorded');
    expect(after.items.map((d) => [d.attempt, d.status])).toEqual([
      [2, 'succeeded'],
      [1, 'succeeded'],
    ]);
  });

  it('retries a receiver that answers 500 three times: four attempts, one webhook-id, fresh timestamps, then sent', async () => {
    rx.script('/retry', [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }]);
    const created = await createBatch(alice, rx.url('/retry'), 1);
    expect(created.status).toBe(201);
    const batchId = dataOf(created).batch_id;

    // Between attempts the batch says its webhook is pending.
    const during = await until(async () => {
      const l = await deliveries(alice, batchId);
      return l.items[0]?.next_attempt_at && l;
    }, 'a failed attempt with a retry planned');
    expect(during.webhook_status).toBe('pending');

    const reqs = await rx.waitFor('/retry', 4, 60_000);
    const ids = new Set(reqs.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const stamps = reqs.map((r) => Number(r.headers['webhook-timestamp']));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);
    for (const r of reqs) expect(verifyStandard(dataOf(created).webhook_secret, r.body, r.headers)).toBe(true);

    const log = await until(async () => {
      const l = await deliveries(alice, batchId);
      return l.webhook_status === 'sent' && l;
    }, 'the batch webhook sent');
    expect(log.items.map((d) => [d.attempt, d.status, d.status_code])).toEqual([
      [4, 'succeeded', 200],
      [3, 'failed', 500],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
  });

  it('disables webhooks of a batch whose receiver answers 410', async () => {
    rx.script('/gone', [{ status: 410 }]);
    const created = await createBatch(alice, rx.url('/gone'), 1);
    const log = await until(async () => {
      const l = await deliveries(alice, dataOf(created).batch_id);
      return l.items[0]?.status === 'disabled' && l;
    }, 'the 410 recorded');
    expect(log).toMatchObject({ webhook_status: 'failed', webhook_disabled: true, total: 1 });
    expect(rx.received('/gone')).toHaveLength(1);
  });

  it.each([
    ['a loopback port that is not on the allow list', () => trap.url('/hook')],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private address', () => 'http://10.0.0.1/hook'],
    ['a non-http scheme', () => 'ftp://example.com/hook'],
  ])('refuses a webhook_url to %s at creation', async (_name, url) => {
    const res = await createBatch(alice, url(), 1);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('invalid_webhook_url');
  });
});
