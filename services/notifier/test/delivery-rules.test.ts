import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { verifyResultsLink } from '@pixmill/batch-state';
import { FetchError } from '@pixmill/safe-fetch';
import { judge } from '../src/delivery/attempt-outcome';
import { retryDelayMs, runPosition } from '../src/delivery/retry-schedule';
import { buildPayload, renderBody, reusePayload } from '../src/delivery/webhook-payload';
import { signDelivery } from '../src/delivery/webhook-signature';
import { verifyHmac, verifyStandard } from './support/webhook-receiver';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const response = (status: number, body = '', headers: Record<string, string> = {}) =>
  ({ kind: 'response', response: { status, headers, body } }) as const;

describe('webhook signature', () => {
  const body = '{"type":"batch.completed","data":{"batch_id":"b"}}';
  const at = new Date();
  const headers = signDelivery(SECRET, 'evt_1', body, at);

  it('passes the standardwebhooks verifier and a plain HMAC of the body', () => {
    expect(verifyStandard(SECRET, body, headers)).toBe(true);
    expect(verifyHmac(SECRET, body, headers['x-webhook-signature'])).toBe(true);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
  });

  it('signs id.timestamp.body with the decoded secret, and the raw body with the secret string', () => {
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`evt_1.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(headers['x-webhook-signature']).toBe(createHmac('sha256', SECRET).update(body).digest('hex'));
  });

  it('fails verification for a tampered body, another id or another secret', () => {
    const tampered = body.replace('batch.completed', 'batch.failed');
    expect(verifyStandard(SECRET, tampered, headers)).toBe(false);
    expect(verifyHmac(SECRET, tampered, headers['x-webhook-signature'])).toBe(false);
    expect(verifyStandard(SECRET, body, { ...headers, 'webhook-id': 'evt_2' })).toBe(false);
    const other = `whsec_${Buffer.alloc(32, 8).toString('base64')}`;
    expect(verifyStandard(other, body, headers)).toBe(false);
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
  });

  it('refuses a secret that is not whsec_ + base64', () => {
    expect(() => signDelivery('whsec_!!!', 'evt_1', body, at)).toThrow(/not whsec_ \+ base64/);
  });
});

describe('attempt verdicts', () => {
  it('counts 2xx as delivered', () => {
    expect(judge(response(200))).toEqual({ outcome: 'succeeded', statusCode: 200 });
    expect(judge(response(204))).toEqual({ outcome: 'succeeded', statusCode: 204 });
  });

  it('disables on 410', () => {
    expect(judge(response(410))).toMatchObject({ outcome: 'disabled', statusCode: 410 });
  });

  it('fails a redirect without retrying or following it', () => {
    expect(judge(response(302, '', { location: 'http://169.254.169.254/' }))).toEqual({
      outcome: 'failed',
      statusCode: 302,
      error: 'HTTP 302: redirect to http://169.254.169.254/ not followed',
      retryable: false,
    });
  });

  it('retries 429, 5xx, timeouts and connection errors; not other 4xx or refused addresses', () => {
    expect(judge(response(429))).toMatchObject({ outcome: 'failed', retryable: true });
    expect(judge(response(503, 'busy'))).toMatchObject({ outcome: 'failed', retryable: true, error: 'HTTP 503: busy' });
    expect(judge(response(404))).toMatchObject({ outcome: 'failed', retryable: false });
    expect(judge({ kind: 'error', error: new FetchError('timeout', 'x did not answer') })).toMatchObject({
      retryable: true,
      error: 'timeout: x did not answer',
    });
    expect(judge({ kind: 'error', error: new FetchError('network', 'refused') })).toMatchObject({ retryable: true });
    expect(
      judge({ kind: 'error', error: new FetchError('blocked_address', 'private', { transient: false }) }),
    ).toMatchObject({ retryable: false, statusCode: null });
  });

  it('keeps long answers short in the log', () => {
    const v = judge(response(500, 'x'.repeat(5000)));
    expect(v.outcome === 'failed' && v.error.length).toBeLessThanOrEqual(501);
  });
});

describe('retry schedule', () => {
  const schedule = [5000, 300_000, 1_800_000];

  it('follows the schedule with ±10% jitter, then gives up', () => {
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(5000);
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(4500);
    expect(retryDelayMs(schedule, 1, () => 1)).toBe(5500);
    expect(retryDelayMs(schedule, 3, () => 0.5)).toBe(1_800_000);
    expect(retryDelayMs(schedule, 4, () => 0.5)).toBeUndefined();
  });

  it('counts the attempts of a run, and starts a new run after a final attempt (a redelivery)', () => {
    const failedRetry = (attempt: number) => ({ attempt, status: 'failed', nextAttemptAt: new Date() });
    expect(runPosition([], 1)).toBe(1);
    expect(runPosition([failedRetry(1), failedRetry(2)], 3)).toBe(3);
    const rows = [failedRetry(1), { attempt: 2, status: 'succeeded', nextAttemptAt: null }, failedRetry(3)];
    expect(runPosition(rows, 3)).toBe(1);
    expect(runPosition(rows, 4)).toBe(2);
    expect(runPosition([{ attempt: 1, status: 'failed', nextAttemptAt: null }], 2)).toBe(1);
  });
});

describe('webhook payload', () => {
  const batchId = '3b2e4c55-0a3f-4a44-9a8f-3e2f8f6f0d11';
  const batch = {
    id: batchId,
    name: 'spring',
    totalImages: 5,
    processedImages: 5,
    succeededImages: 4,
    failedImages: 1,
    completedAt: new Date('2030-01-02T03:04:05.000Z'),
  };
  const link = { publicUrl: 'https://pix.example/', resultsLinkSecret: 'jwt-secret-0123456789abcdef0123456789' };
  const now = new Date('2030-01-02T03:04:06.000Z');

  it('carries the batch outcome and a signed results link', () => {
    const p = buildPayload('batch.completed', batch, link, now);
    expect(p).toMatchObject({
      type: 'batch.completed',
      timestamp: '2030-01-02T03:04:05.000Z',
      data: {
        batch_id: batchId,
        request_id: batchId,
        status: 'completed',
        total_images: 5,
        processed_images: 5,
        successful_count: 4,
        failed_count: 1,
        completion_time: '2030-01-02T03:04:05.000Z',
      },
    });
    const url = new URL(p.data.results_csv_url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://pix.example/api/v1/batches/${batchId}/results.csv`);
    expect(verifyResultsLink(link.resultsLinkSecret, batchId, url.searchParams.get('token')!, now)).toBe(true);
    expect(
      verifyResultsLink('another-secret-0123456789abcdef01234', batchId, url.searchParams.get('token')!, now),
    ).toBe(false);
  });

  it('renders the same bytes whatever order the stored keys come back in', () => {
    const p = buildPayload('batch.failed', batch, link, now);
    const shuffled = JSON.parse(JSON.stringify({ data: { ...p.data }, timestamp: p.timestamp, type: p.type }));
    const reused = reusePayload(shuffled, link, new Date(now.getTime() + 3600_000));
    expect(reused).toBeDefined();
    expect(renderBody(reused!)).toBe(renderBody(p));
    expect(Object.keys(JSON.parse(renderBody(p)))).toEqual([
      'type',
      'timestamp',
      'request_id',
      'status',
      'total_images',
      'processed_images',
      'completion_time',
      'results_csv_url',
      'data',
    ]);
  });

  it("carries the CSV upload document's fields at the top level, made from data (also for a payload stored before them)", () => {
    const p = buildPayload('batch.completed', batch, link, now);
    const flat = {
      request_id: batchId,
      status: 'completed',
      total_images: 5,
      processed_images: 5,
      completion_time: '2030-01-02T03:04:05.000Z',
      results_csv_url: p.data.results_csv_url,
    };
    expect(JSON.parse(renderBody(p))).toMatchObject(flat);
    const older = { type: p.type, timestamp: p.timestamp, data: p.data };
    expect(JSON.parse(renderBody(reusePayload(older, link, now)!))).toMatchObject(flat);
    // A link re-signed on a later attempt is the one at the top too.
    const later = reusePayload(older, link, new Date(now.getTime() + 6.5 * 24 * 3600_000))!;
    expect(later.results_csv_url).toBe(later.data.results_csv_url);
    expect(JSON.parse(renderBody(later)).results_csv_url).not.toBe(p.data.results_csv_url);
    // A cancelled batch is `failed` in that document's terms; data keeps pixmill's status.
    const cancelled = JSON.parse(renderBody(buildPayload('batch.cancelled', batch, link, now)));
    expect([cancelled.status, cancelled.data.status]).toEqual(['failed', 'cancelled']);
  });

  it('re-signs the results link only when it is about to expire', () => {
    const p = buildPayload('batch.completed', batch, link, now);
    const sixDaysOn = new Date(now.getTime() + 6.5 * 24 * 3600_000);
    const reused = reusePayload(JSON.parse(JSON.stringify(p)), link, sixDaysOn)!;
    expect(reused.data.results_csv_url).not.toBe(p.data.results_csv_url);
    const token = new URL(reused.data.results_csv_url).searchParams.get('token')!;
    expect(
      verifyResultsLink(link.resultsLinkSecret, batchId, token, new Date(sixDaysOn.getTime() + 3 * 24 * 3600_000)),
    ).toBe(true);
  });

  it('gives up on a stored payload of another shape (it is rebuilt)', () => {
    expect(reusePayload({ type: 'batch.completed' }, link, now)).toBeUndefined();
  });
});
