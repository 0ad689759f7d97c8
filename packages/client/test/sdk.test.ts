// The SDK's own behaviour against a loopback server that answers what each case needs: retries that honour
// Retry-After, one Idempotency-Key across the retries of a submission, the envelope's `data`, errors, paging, polling.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPixmillClient, createUrlBatch, paged, PixmillError, retryAfterMs, unwrap, waitForBatch } from '../src';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let handler: Handler;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; at: number }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, at: Date.now() });
    handler(req, res, body);
  });
});
const envelope = (data: unknown) => JSON.stringify({ success: true, data, timestamp: new Date().toISOString() });
let base: string;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => (seen.length = 0));

describe('SDK', () => {
  it('retries a submission on 429 and 503 after Retry-After, with one Idempotency-Key, and answers its data', async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      if (n === 1) return res.writeHead(429, { 'Retry-After': '1' }).end('{"success":false}');
      if (n === 2) return res.writeHead(503, { 'Retry-After': '0' }).end('{"success":false}');
      res
        .writeHead(202, { 'content-type': 'application/json' })
        .end(envelope({ batch_id: 'b1', status: 'queued', total_images: 1 }));
    };
    const c = createPixmillClient({ baseUrl: base, token: 'pmk_test' });
    const created = await createUrlBatch(c, ['https://images.example/a.jpg']);
    expect(created).toEqual({ batch_id: 'b1', status: 'queued', total_images: 1 });
    expect(seen).toHaveLength(3);
    const keys = new Set(seen.map((s) => s.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(seen.every((s) => s.headers.authorization === 'Bearer pmk_test')).toBe(true);
  });

  it('throws the error body’s code and message', async () => {
    handler = (_req, res) =>
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ success: false, error: 'no such batch', code: 'not_found', details: null }));
    const c = createPixmillClient({ baseUrl: base, retry: false });
    const err = (await unwrap(c.api.GET('/api/v1/batches/{id}', { params: { path: { id: 'x' } } })).catch(
      (e: unknown) => e,
    )) as PixmillError;
    expect(err).toBeInstanceOf(PixmillError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'no such batch' });
  });

  it('walks every page of a list', async () => {
    handler = (req, res) => {
      const page = Number(new URL(req.url!, base).searchParams.get('page'));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(envelope({ page, total_pages: 3, items: [{ n: page * 10 }, { n: page * 10 + 1 }] }));
    };
    const items: { n: number }[] = [];
    for await (const i of paged<{ n: number }>(createPixmillClient({ baseUrl: base }), '/api/v1/batches'))
      items.push(i);
    expect(items.map((i) => i.n)).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('polls at the pace X-Polling-Interval asks when the event stream is not there', async () => {
    let polls = 0;
    handler = (req, res) => {
      if (req.url!.endsWith('/events')) return res.writeHead(502).end();
      polls++;
      const done = polls >= 2;
      res.writeHead(200, { 'content-type': 'application/json', 'X-Polling-Interval': '1' }).end(
        envelope({
          batch_id: 'b',
          status: done ? 'completed' : 'processing',
          total_images: 2,
          processed_images: done ? 2 : 1,
          successful_count: 2,
          failed_count: 0,
          progress: 100,
        }),
      );
    };
    const progress: string[] = [];
    const last = await waitForBatch(createPixmillClient({ baseUrl: base, retry: false }), 'b', {
      onProgress: (p) => progress.push(p.status),
    });
    expect(last.status).toBe('completed');
    expect(progress).toEqual(['processing', 'completed']);
    const pollTimes = seen.filter((s) => s.url.endsWith('/progress')).map((s) => s.at);
    expect(pollTimes[1]! - pollTimes[0]!).toBeGreaterThanOrEqual(950);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
