// URL batches end to end on both configurations a user runs (`pnpm start` in a process of its own: embedded defaults,
// and PostgreSQL + RabbitMQ + S3): CSV or JSON → gateway (stored, chunked) → outbox → queue → ingest (safe fetch from
// a loopback image server) → storage → resize → results CSV with working download links. Only loopback traffic.
import { parseCsv as parse } from './support/csv';
import sharp from 'sharp';
import { enqueue } from '@pixmill/queue';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { startTrap } from '@pixmill/safe-fetch/testing';
import { startUrlServer, type UrlServer } from './support/url-server';
import { dataOf, readData } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type ImageItem = {
  source_url: string;
  row_number: number;
  status: string;
  error: { code: string; message: string } | null;
};

describe.each(CONFIGURATIONS)('on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let trap: Awaited<ReturnType<typeof startTrap>>;
  let alice: Auth;
  let bob: Auth;

  beforeAll(async () => {
    srv = await startUrlServer();
    trap = await startTrap();
    p = await startTarget(config, {
      FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`,
      CHUNK_SIZE: '3',
      FETCH_TIMEOUT_MS: '5000',
    });
    alice = await p.userAuth('alice');
    bob = await p.userAuth('bob');
  }, 240_000);
  afterAll(async () => {
    await p?.close();
    await srv?.close();
    await trap?.close();
  });
  afterEach(() => expect(trap.connections()).toBe(0));

  const u = (path: string) => `${srv.origin}${path}`;

  async function postCsv(
    auth: Auth,
    csv: string,
    o: { path?: string; field?: string; fields?: Record<string, string> } = {},
  ) {
    const fd = new FormData();
    fd.append(o.field ?? 'file', new Blob([csv], { type: 'text/csv' }), 'input.csv');
    for (const [k, v] of Object.entries(o.fields ?? {})) fd.append(k, v);
    const res = await p.api(o.path ?? '/api/v1/batches', { method: 'POST', auth, body: fd });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function resultsCsv(auth: Auth, id: string, path = `/api/v1/batches/${id}/results.csv`): Promise<string[][]> {
    const res = await p.api(path, { auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    return parse(await res.text());
  }

  async function imageAt(url: string) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return sharp(Buffer.from(await res.arrayBuffer())).metadata();
  }

  async function images(auth: Auth, id: string): Promise<ImageItem[]> {
    const res = await p.api(`/api/v1/batches/${id}/images?per_page=100`, { auth });
    return ((await readData(res)) as { items: ImageItem[] }).items;
  }

  describe('a product sheet', () => {
    it('round-trips into the results CSV in seed shape, each output a working download, repeats fetched once', async () => {
      const csv = [
        'S. No.,Product Name,Input Image Urls',
        `1,Blue shirt,"${u('/img/shirt-640x480.jpg')}, ${u('/img/shirt-back-320x480.png')}"`,
        `2,Red hat,${u('/img/hat-400x400.webp')}`,
        `3,"Bag, large","${u('/img/shirt-640x480.jpg')},${u('/status/404')}"`,
        `4,Scarf,${u('/img/scarf-300x200.jpg')}`,
      ].join('\r\n');
      const res = await postCsv(alice, csv, {
        fields: { recipe: JSON.stringify({ variants: [{ name: 'small', width: 160, format: 'webp' }] }) },
      });
      expect(res.status).toBe(202);
      expect(dataOf(res)).toMatchObject({ total_images: 6, distinct_urls: 5, total_rows: 4, total_chunks: 2 });
      const id = dataOf(res).batch_id as string;
      const done = await p.waitForBatch(alice, id);
      expect(done).toMatchObject({ status: 'completed', processed_images: 6, successful_count: 5, failed_count: 1 });

      const rows = await resultsCsv(alice, id);
      expect(rows[0]).toEqual(['S. No.', 'Product Name', 'Input Image Urls', 'Output Image Urls', 'Status', 'Error']);
      expect(rows.slice(1).map((r) => [r[0], r[1], r[4]])).toEqual([
        ['1', 'Blue shirt', 'succeeded'],
        ['2', 'Red hat', 'succeeded'],
        ['3', 'Bag, large', 'partial'],
        ['4', 'Scarf', 'succeeded'],
      ]);
      expect(rows[1]![2]).toBe(`${u('/img/shirt-640x480.jpg')}, ${u('/img/shirt-back-320x480.png')}`);
      // Outputs in the order of the inputs: each is the first variant, 160 px wide, of that very input.
      const [shirt, back] = rows[1]![3]!.split(', ');
      expect(await imageAt(shirt!)).toMatchObject({ format: 'webp', width: 160, height: 120 });
      expect(await imageAt(back!)).toMatchObject({ format: 'webp', width: 160, height: 240 });
      const [again, missing] = rows[3]![3]!.split(',');
      expect(await imageAt(again!)).toMatchObject({ width: 160, height: 120 });
      expect(missing).toBe('');
      expect(rows[3]![5]).toMatch(/^URL 2: http_404: /);
      expect(srv.hits('/img/shirt-640x480.jpg')).toBe(1);

      // Chunks: every one done, by a worker, with its counts.
      const chunks = (await readData(await p.api(`/api/v1/batches/${id}/chunks`, { auth: alice }))) as {
        items: { status: string; worker: string | null; fetched: number; failed: number; images: number }[];
      };
      expect(chunks.items.map((c) => c.status)).toEqual(['completed', 'completed']);
      expect(chunks.items.every((c) => c.worker)).toBe(true);
      expect(chunks.items.reduce((n, c) => n + c.fetched, 0)).toBe(5);
      expect(chunks.items.reduce((n, c) => n + c.failed, 0)).toBe(1);
      expect(chunks.items.reduce((n, c) => n + c.images, 0)).toBe(6);

      for (const path of [`/api/v1/batches/${id}/results.csv`, `/api/v1/batches/${id}/chunks`]) {
        expect((await p.api(path, { auth: bob })).status).toBe(404);
      }
    });
  });

  describe('a url CSV and a JSON list', () => {
    it('keeps every input column through BOM, CRLF and quoted commas', async () => {
      const csv = `\ufeffsku,url,note\r\nA-1,${u('/img/a-200x100.jpg')},"cotton, washed"\r\n\r\nA-2,${u('/text')},plain\r\n`;
      const res = await postCsv(alice, csv);
      expect(res.status).toBe(202);
      const id = dataOf(res).batch_id as string;
      expect(await p.waitForBatch(alice, id)).toMatchObject({
        status: 'completed',
        successful_count: 1,
        failed_count: 1,
      });
      const rows = await resultsCsv(alice, id);
      expect(rows[0]).toEqual(['sku', 'url', 'note', 'Output Image Urls', 'Status', 'Error']);
      expect(rows[1]!.slice(0, 3)).toEqual(['A-1', u('/img/a-200x100.jpg'), 'cotton, washed']);
      expect(await imageAt(rows[1]![3]!)).toMatchObject({ width: 200, height: 100 });
      expect(rows[2]!.slice(3, 5)).toEqual(['', 'failed']);
      expect(rows[2]![5]).toMatch(/^not_an_image: /);
    });

    it('processes a JSON URL list, retrying a server that answers 503 first', async () => {
      const urls = [u('/img/j-120x80.png'), u('/flaky/j-100x100.jpg')];
      const res = await p.api('/api/v1/batches', {
        method: 'POST',
        auth: alice,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ urls, batch_name: 'json list' }),
      });
      expect(res.status).toBe(202);
      const id = ((await readData(res)) as { batch_id: string }).batch_id;
      expect(await p.waitForBatch(alice, id)).toMatchObject({
        status: 'completed',
        successful_count: 2,
        failed_count: 0,
      });
      expect(srv.hits('/flaky/j-100x100.jpg')).toBe(2);
      const rows = await resultsCsv(alice, id);
      expect(rows.map((r) => [r[0], r[2]])).toEqual([
        ['url', 'Status'],
        [urls[0], 'succeeded'],
        [urls[1], 'succeeded'],
      ]);
    });
  });

  describe('URLs a stranger should not be able to use', () => {
    it('fail their own images while the good rows of the same CSV succeed, and the trap hears nothing', async () => {
      const t = trap.port;
      const bad: [string, string][] = [
        [`http://127.0.0.1:${t}/a.jpg`, 'blocked_address'],
        [`http://localhost:${t}/a.jpg`, 'blocked_address'],
        [`http://0x7f000001:${t}/a.jpg`, 'blocked_address'],
        [`http://2130706433:${t}/a.jpg`, 'blocked_address'],
        [`http://127.1:${t}/a.jpg`, 'blocked_address'],
        [`http://[::ffff:127.0.0.1]:${t}/a.jpg`, 'blocked_address'],
        [`http://[::1]:${t}/a.jpg`, 'blocked_address'],
        [`http://10.0.0.1/a.jpg`, 'blocked_address'],
        [`http://169.254.169.254/latest/meta-data/`, 'blocked_address'],
        [`${u('/redirect')}?to=${encodeURIComponent(`http://127.0.0.1:${t}/a.jpg`)}`, 'blocked_address'],
        ['file:///etc/passwd', 'blocked_scheme'],
        [`gopher://127.0.0.1:${t}/_x`, 'blocked_scheme'],
        ['http://exa mple.com/x.jpg', 'invalid_url'],
      ];
      const good = [u('/img/ok1-64x64.jpg'), u('/img/ok2-64x48.png')];
      const csv = ['url', good[0], ...bad.map(([url]) => `"${url}"`), good[1]].join('\n');
      const res = await postCsv(alice, csv);
      expect(res.status).toBe(202);
      const id = dataOf(res).batch_id as string;
      expect(await p.waitForBatch(alice, id)).toMatchObject({
        status: 'completed',
        total_images: bad.length + 2,
        successful_count: 2,
        failed_count: bad.length,
      });
      const byUrl = new Map((await images(alice, id)).map((i) => [i.source_url, i]));
      for (const [url, code] of bad)
        expect([url, byUrl.get(url)?.status, byUrl.get(url)?.error?.code]).toEqual([url, 'failed', code]);
      for (const url of good) expect(byUrl.get(url)?.status).toBe('succeeded');
    });
  });

  describe('the short forms', () => {
    it('upload, poll the status, and download the results once complete (404 before)', async () => {
      // Not started at once, so "not complete yet" is certain when the download is first asked for.
      const csv = `url\n${u('/img/s-90x60.jpg')}\n${u('/img/s-60x90.jpg')}\n`;
      const up = await postCsv(alice, csv, { path: '/api/upload', field: 'csvFile', fields: { auto_start: 'false' } });
      expect(up.status).toBe(202);
      // Seed 003's short form answers flat, as its document shows.
      expect(up.body).toMatchObject({ status: 'pending', total_images: 2 });
      const id = up.body.request_id as string;
      expect(up.body.requestId).toBe(id);
      const early = await p.api(`/api/download/${id}`, { auth: alice });
      expect(early.status).toBe(404);
      expect(await p.api(`/api/status/${id}`, { auth: alice }).then((r) => r.json())).toMatchObject({
        request_status: 'pending',
        completion_percentage: 0,
        webhook_status: 'not_sent',
      });

      // Start it as the start route does for URL batches: one ingest job per pending chunk, through the outbox.
      const prisma = p.db;
      await prisma.$transaction(async (tx) => {
        await tx.batch.update({ where: { id }, data: { status: 'queued' } });
        for (const c of await tx.chunk.findMany({ where: { batchId: id } }))
          await enqueue(tx, 'ingest.chunk', { v: 1, batchId: id, chunkId: c.id });
      });
      await p.waitForBatch(alice, id);
      expect(await p.api(`/api/status/${id}`, { auth: alice }).then((r) => r.json())).toMatchObject({
        request_id: id,
        request_status: 'completed',
        status: 'completed',
        completion_percentage: 100,
        total_images: 2,
        processed_images: 2,
      });
      const rows = await resultsCsv(alice, id, `/api/download/${id}`);
      expect(rows.slice(1).map((r) => r[2])).toEqual(['succeeded', 'succeeded']);
      expect(await imageAt(rows[1]![1]!)).toMatchObject({ width: 90, height: 60 });
      expect((await p.api(`/api/status/${id}`, { auth: bob })).status).toBe(404);
      expect((await p.api(`/api/download/${id}`, { auth: bob })).status).toBe(404);
    });
  });
});
