// Seed 003 (../../../../shared/seeds/003_*: "Image Processing API", CSV of product images with a webhook), run as its
// document is written, with a bearer token added, against `pnpm start` on both configurations: upload a product CSV
// in `file` with `webhook_url` → poll `GET /api/status/{request_id}` → the completion webhook reaches a loopback
// receiver, signed in `X-Webhook-Signature` → `GET /api/download/{request_id}` answers the output CSV. Every field
// the document shows is checked, under its name, with its documented values.
import sharp from 'sharp';
import { startReceiver, verifyHmac, type Receiver } from '@pixmill/notifier/testing';
import { parseCsv } from './support/csv';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { startUrlServer, type UrlServer } from './support/url-server';

type Auth = { Authorization: string };
type Status = {
  request_id: string;
  status: string;
  completion_percentage: number;
  created_at: string;
  updated_at: string;
  total_images: number;
  processed_images: number;
  webhook_status: string;
};

const STATUS_VALUES = ['pending', 'processing', 'completed', 'failed'];
const WEBHOOK_STATUS_VALUES = ['not_sent', 'sent', 'failed'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isIso = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s);

describe.each(CONFIGURATIONS)('seed 003 on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let rx: Receiver;
  let alice: Auth;
  let bob: Auth;

  beforeAll(async () => {
    srv = await startUrlServer();
    rx = await startReceiver();
    p = await startTarget(config, { FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port},${rx.host}` });
    alice = await p.userAuth('alice');
    bob = await p.userAuth('bob');
  }, 240_000);
  afterAll(async () => {
    await p?.close();
    await srv?.close();
    await rx?.close();
  });

  const img = (name: string) => `${srv.origin}/img/${name}`;

  async function upload(auth: Auth, file: Blob, fields: Record<string, string> = {}) {
    const fd = new FormData();
    fd.append('file', file, 'products.csv');
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    const res = await p.api('/api/upload', { method: 'POST', auth, body: fd });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function status(auth: Auth, id: string): Promise<{ status: number; body: Status }> {
    const res = await p.api(`/api/status/${id}`, { auth });
    return { status: res.status, body: (await res.json()) as Status };
  }

  /** Polls as a client of the document does, until the request is completed or failed; every answer is kept. */
  async function pollUntilDone(auth: Auth, id: string, timeoutMs = 90_000): Promise<Status[]> {
    const seen: Status[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status: code, body } = await status(auth, id);
      expect(code).toBe(200);
      seen.push(body);
      if (body.status === 'completed' || body.status === 'failed') return seen;
      if (Date.now() > deadline) throw new Error(`request ${id} not done: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  it('upload → status → webhook → download, every documented field', async () => {
    // The document's input format: S. No., Product Name, and several comma-separated URLs in one cell.
    const csv = [
      'S. No.,Product Name,Input Image Urls',
      `1,SKU1,"${img('sku1-a-320x240.jpg')},${img('sku1-b-240x320.png')}"`,
      `2,SKU2,"${img('sku2-a-400x300.webp')},${img('sku2-b-300x300.jpg')}"`,
    ].join('\n');
    const up = await upload(alice, new Blob([csv], { type: 'text/csv' }), { webhook_url: rx.url('/seed-003') });

    // 1. Upload CSV: 202 with request_id, status "pending", message.
    expect(up.status).toBe(202);
    expect(up.body).toMatchObject({ request_id: expect.stringMatching(UUID), status: 'pending' });
    expect(typeof up.body.message).toBe('string');
    expect((up.body.message as string).length).toBeGreaterThan(0);
    const id = up.body.request_id as string;
    const secret = up.body.webhook_secret as string;
    expect(secret).toMatch(/^whsec_/);

    // 2. Check Status, polled to the end: every field, every value one the document lists.
    const seen = await pollUntilDone(alice, id);
    for (const s of seen) {
      expect(s.request_id).toBe(id);
      expect(STATUS_VALUES).toContain(s.status);
      expect(WEBHOOK_STATUS_VALUES).toContain(s.webhook_status);
      expect(typeof s.completion_percentage).toBe('number');
      expect(s.completion_percentage).toBeGreaterThanOrEqual(0);
      expect(s.completion_percentage).toBeLessThanOrEqual(100);
      expect(isIso(s.created_at)).toBe(true);
      expect(isIso(s.updated_at)).toBe(true);
      expect(Date.parse(s.updated_at)).toBeGreaterThanOrEqual(Date.parse(s.created_at));
      expect(s.total_images).toBe(4);
      expect(s.processed_images).toBeGreaterThanOrEqual(0);
      expect(s.processed_images).toBeLessThanOrEqual(4);
    }
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ status: 'completed', completion_percentage: 100, processed_images: 4 });
    expect(Date.parse(last.updated_at)).toBeGreaterThanOrEqual(Date.parse(seen[0]!.updated_at));
    expect(last.created_at).toBe(seen[0]!.created_at);

    // Webhook Notifications: the payload's fields at its top level, signed with the shared secret.
    const [hook] = await rx.waitFor('/seed-003', 1, 60_000);
    expect(verifyHmac(secret, hook!.body, hook!.headers['x-webhook-signature'])).toBe(true);
    expect(
      verifyHmac(secret, hook!.body.replace('"completed"', '"failed"'), hook!.headers['x-webhook-signature']),
    ).toBe(false);
    const payload = JSON.parse(hook!.body) as Record<string, unknown>;
    expect(payload).toMatchObject({ request_id: id, status: 'completed', total_images: 4, processed_images: 4 });
    expect(isIso(payload.completion_time)).toBe(true);
    expect(Date.parse(payload.completion_time as string)).toBeLessThanOrEqual(Date.parse(last.updated_at));
    expect(typeof payload.results_csv_url).toBe('string');
    // Standard Webhooks' fields stay beside them.
    expect(payload).toMatchObject({ type: 'batch.completed', data: { request_id: id, status: 'completed' } });

    // Once delivered, the status says so.
    const deadline = Date.now() + 30_000;
    let after = (await status(alice, id)).body;
    while (after.webhook_status !== 'sent' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 150));
      after = (await status(alice, id)).body;
    }
    expect(after.webhook_status).toBe('sent');

    // 3. Download Results: the input columns plus Output Image Urls, one output per input, each a real image.
    const res = await p.api(`/api/download/${id}`, { auth: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(await res.text());
    expect(rows[0]!.slice(0, 4)).toEqual(['S. No.', 'Product Name', 'Input Image Urls', 'Output Image Urls']);
    expect(rows.slice(1).map((r) => r.slice(0, 2))).toEqual([
      ['1', 'SKU1'],
      ['2', 'SKU2'],
    ]);
    const sizes = [
      [
        [320, 240],
        [240, 320],
      ],
      [
        [400, 300],
        [300, 300],
      ],
    ];
    for (const [i, row] of rows.slice(1).entries()) {
      const inputs = row[2]!.split(',').map((s) => s.trim());
      const outputs = row[3]!.split(',').map((s) => s.trim());
      expect(inputs).toHaveLength(2);
      expect(outputs).toHaveLength(2);
      for (const [j, url] of outputs.entries()) {
        const out = await fetch(url);
        expect(out.status).toBe(200);
        const meta = await sharp(Buffer.from(await out.arrayBuffer())).metadata();
        expect([meta.width, meta.height]).toEqual(sizes[i]![j]);
      }
    }

    // The webhook's results_csv_url is that CSV, for the receiver to fetch without a token of its own.
    const linked = await fetch(payload.results_csv_url as string);
    expect(linked.status).toBe(200);
    // The same rows; each output link signed afresh (its expiry, hence its signature, may differ by a second).
    const unsigned = (table: string[][]) => table.map((r) => r.map((cell) => cell.replace(/\?[^,]*/g, '')));
    expect(unsigned(parseCsv(await linked.text()))).toEqual(unsigned(rows));

    // Another user's request is "not found" on both routes.
    expect((await status(bob, id)).status).toBe(404);
    expect((await p.api(`/api/download/${id}`, { auth: bob })).status).toBe(404);
  }, 180_000);

  it('answers 404 for an unknown request and for results not ready yet; 400 for an invalid request or file', async () => {
    for (const path of ['/api/status/', '/api/download/']) {
      const res = await p.api(`${path}550e8400-e29b-41d4-a716-446655440000`, { auth: alice });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'Request not found' });
    }

    // Not started (a pixmill option), so "processing not complete" is certain.
    const waiting = await upload(
      alice,
      new Blob([`S. No.,Product Name,Input Image Urls\n1,SKU,${img('w-64x64.jpg')}\n`]),
      {
        auto_start: 'false',
      },
    );
    expect(waiting.status).toBe(202);
    const early = await p.api(`/api/download/${waiting.body.request_id as string}`, { auth: alice });
    expect(early.status).toBe(404);
    expect((await early.json()) as { error: string }).toMatchObject({ error: expect.stringContaining('not ready') });
    expect((await status(alice, waiting.body.request_id as string)).body).toMatchObject({
      status: 'pending',
      completion_percentage: 0,
      processed_images: 0,
      webhook_status: 'not_sent',
    });

    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    for (const bad of [
      await upload(alice, new Blob([new Uint8Array(png)], { type: 'text/csv' })),
      await upload(alice, new Blob(['Product Name,Price\nSKU1,3\n'], { type: 'text/csv' })),
    ]) {
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ success: false, error: expect.any(String), code: expect.any(String) });
    }
    const none = await p.api('/api/upload', { method: 'POST', auth: alice, body: new FormData() });
    expect(none.status).toBe(400);
  }, 120_000);
});
