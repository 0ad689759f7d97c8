// URL batches at the gateway: CSV and JSON intake (stored, counted, chunked, one outbox job per chunk), refusals
// with reasons, the chunks and results routes, the short forms, and other users' batches staying invisible.
// The ingest and resize workers are not running here: tests write what they would (images, outputs) directly.
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { signResultsLink } from '@pixmill/batch-state';
import type { ObjectStore } from '@pixmill/storage';
import { BatchDetail } from '../src/batches/batch-view';
import { seedBatch } from './batch-fixtures';
import { dataOf, errorOf, startGateway, TEST_JWT_SECRET, type TestGateway, type TestUser } from './support';

let gw: TestGateway;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  gw = await startGateway({
    settings: {
      CHUNK_SIZE: 2,
      MAX_CSV_ROWS: 50,
      MAX_CSV_BYTES: 64 * 1024,
      MAX_FILE_BYTES: 1000,
      // A webhook receiver address the creation check accepts; nothing is delivered in these tests.
      FETCH_ALLOW_HOSTS: ['127.0.0.1:9'],
    },
  });
  [alice, bob] = await Promise.all([gw.createUser(), gw.createUser()]);
});
afterAll(() => gw?.close());

const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });
const postCsv = (
  u: TestUser,
  csv: string | Buffer,
  o: { field?: string; fields?: Record<string, string>; path?: string; name?: string } = {},
) => {
  let req = request(gw.app)
    .post(o.path ?? '/api/v1/batches')
    .set(auth(u))
    .attach(o.field ?? 'file', Buffer.from(csv), { filename: o.name ?? 'input.csv', contentType: 'text/csv' });
  for (const [k, v] of Object.entries(o.fields ?? {})) req = req.field(k, v);
  return req;
};

async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of (await store.get(key)) as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

const outbox = (batchId: string) =>
  gw.deps.prisma.outboxMessage.findMany({
    where: { queue: 'ingest.chunk', payload: { path: ['batchId'], equals: batchId } },
  });

async function storedKeys(batchId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const k of ['input.csv', 'chunks/000001.json']) {
    if (await gw.deps.store.head(`uploads/${batchId}/${k}`)) keys.push(k);
  }
  return keys;
}

describe('CSV intake', () => {
  it('stores the CSV as sent, counts its URLs, and queues one ingest job per chunk', async () => {
    const csv =
      '\ufeffurl,name\r\nhttp://img.test/1.jpg,"Shirt, blue"\r\n\r\nhttp://img.test/2.jpg,b\r\nhttp://img.test/3.jpg,c\r\n';
    const res = await postCsv(alice, csv, { fields: { batch_name: 'spring' } }).expect(202);
    expect(dataOf(res)).toMatchObject({
      batch_name: 'spring',
      status: 'queued',
      source: 'csv',
      total_images: 3,
      distinct_urls: 3,
      total_rows: 3,
      total_chunks: 2,
      chunk_size: 2,
    });
    expect(res.headers.location).toBe(`/api/v1/batches/${dataOf(res).batch_id}`);
    const id = dataOf(res).batch_id as string;
    const batch = await gw.deps.prisma.batch.findUniqueOrThrow({
      where: { id },
      include: { chunks: { orderBy: { seq: 'asc' } } },
    });
    expect(batch).toMatchObject({
      sourceKind: 'csv',
      sourceKey: `uploads/${id}/input.csv`,
      sourceColumns: ['url', 'name'],
      totalImages: 3,
    });
    expect(batch.chunks.map((c) => [c.seq, c.firstRow, c.rowCount, c.status])).toEqual([
      [1, 1, 2, 'pending'],
      [2, 3, 1, 'pending'],
    ]);
    expect((await readObject(gw.deps.store, batch.sourceKey!)).toString()).toBe(csv);
    const jobs = await outbox(id);
    expect(jobs.map((j) => (j.payload as { chunkId: string }).chunkId).sort()).toEqual(
      batch.chunks.map((c) => c.id).sort(),
    );
    // Image rows are the ingest worker's to create.
    expect(await gw.deps.prisma.image.count({ where: { batchId: id } })).toBe(0);
    const manifest = JSON.parse((await readObject(gw.deps.store, `uploads/${id}/chunks/000001.json`)).toString());
    expect(manifest.rows).toEqual([
      { row: 1, cells: ['http://img.test/1.jpg', 'Shirt, blue'], urls: [{ url: 'http://img.test/1.jpg' }] },
      { row: 2, cells: ['http://img.test/2.jpg', 'b'], urls: [{ url: 'http://img.test/2.jpg' }] },
    ]);
  });

  it('takes a product sheet with several URLs a cell, marking repeated URLs to be fetched once', async () => {
    const csv = [
      'S. No.,Product Name,Input Image Urls',
      '1,Shoe,"http://img.test/a.jpg, http://img.test/b.jpg"',
      '2,Hat,"http://img.test/a.jpg,http://img.test/c.jpg,http://img.test/d.jpg"',
    ].join('\n');
    const res = await postCsv(alice, csv).expect(202);
    expect(dataOf(res)).toMatchObject({ total_images: 5, distinct_urls: 4, total_rows: 2, total_chunks: 2 });
    const second = JSON.parse(
      (await readObject(gw.deps.store, `uploads/${dataOf(res).batch_id}/chunks/000002.json`)).toString(),
    );
    expect(second.rows[0].urls[0]).toEqual({ url: 'http://img.test/a.jpg', dupOf: [1, 0] });
  });

  it('does not queue anything for a batch created with auto_start=false', async () => {
    const res = await postCsv(alice, 'url\nhttp://img.test/1.jpg\n', { fields: { auto_start: 'false' } }).expect(202);
    expect(dataOf(res).status).toBe('pending');
    expect(await outbox(dataOf(res).batch_id)).toHaveLength(0);
  });

  it('gives the same batch for the same Idempotency-Key', async () => {
    const first = await postCsv(alice, 'url\nhttp://img.test/1.jpg\n').set('Idempotency-Key', 'csv-7').expect(202);
    const again = await postCsv(alice, 'url\nhttp://img.test/1.jpg\n').set('Idempotency-Key', 'csv-7').expect(200);
    expect(dataOf(again).batch_id).toBe(dataOf(first).batch_id);
  });

  it.each([
    ['no URL column', 'name,price\nshoe,3\n', 400, 'missing_url_column'],
    ['an empty file', '', 400, 'empty_csv'],
    ['a header only', 'url\n', 400, 'no_urls'],
    ['a binary file', Buffer.concat([Buffer.from('url\n'), Buffer.alloc(64)]), 400, 'not_a_csv'],
    ['an xlsx workbook', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 400, 'not_a_csv'],
  ])('refuses %s', async (_name, body, status, code) => {
    const before = await gw.deps.prisma.batch.count();
    const res = await postCsv(alice, body).expect(status);
    expect(errorOf(res).code).toBe(code);
    expect(await gw.deps.prisma.batch.count()).toBe(before);
  });

  it('refuses a malformed CSV with 400 naming the row, and keeps nothing of it', async () => {
    const res = await postCsv(
      alice,
      'url,name\nhttp://img.test/1.jpg,a\nhttp://img.test/2.jpg,"b\nhttp://img.test/3.jpg,c\n',
    ).expect(400);
    expect(errorOf(res)).toMatchObject({ code: 'malformed_csv', details: { row: 2, line: 3 } });
    expect(errorOf(res).error).toMatch(/row 2/);
    const unquoted = await postCsv(
      alice,
      'S. No.,Product Name,Input Image Urls\n1,a,http://img.test/1.jpg,http://img.test/2.jpg\n',
    ).expect(400);
    expect(errorOf(unquoted).details).toEqual({ row: 1, line: 2 });
  });

  it('answers 413 for more rows than MAX_CSV_ROWS, and for a file over MAX_CSV_BYTES', async () => {
    const rows = Array.from({ length: 51 }, (_, i) => `http://img.test/${i}.jpg`);
    const tooMany = await postCsv(alice, `url\n${rows.join('\n')}\n`).expect(413);
    expect(errorOf(tooMany)).toMatchObject({
      code: 'payload_too_large',
      details: { reason: 'too_many_rows', limit_rows: 50 },
    });
    const big = await postCsv(alice, `url,pad\nhttp://img.test/1.jpg,${'x'.repeat(70 * 1024)}\n`).expect(413);
    expect(errorOf(big).details).toEqual({ limit_bytes: 64 * 1024 });
  });

  it('refuses images and a CSV in one request', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]);
    const res = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .attach('files[]', png, 'a.png')
      .attach('file', Buffer.from('url\nhttp://img.test/1.jpg\n'), 'in.csv')
      .expect(400);
    expect(errorOf(res).code).toBe('mixed_upload');
  });

  it('still takes image uploads, held to MAX_FILE_BYTES although CSVs may be larger', async () => {
    const png = (n: number) =>
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(n)]);
    const ok = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .attach('files[]', png(100), 'a.png')
      .expect(201);
    expect(dataOf(ok).total_images).toBe(1);
    const big = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .attach('files[]', png(5000), 'big.png')
      .expect(413);
    expect(errorOf(big).details).toEqual({ limit_bytes: 1000 });
    expect(await gw.deps.prisma.image.count({ where: { originalName: 'big.png' } })).toBe(0);
  });
});

describe('JSON URL lists', () => {
  it('makes a URL batch whose input.csv has a url column', async () => {
    const urls = ['http://img.test/1.jpg', 'http://img.test/2.jpg', 'http://img.test/1.jpg'];
    const res = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .send({ urls, batch_name: 'from json' })
      .expect(202);
    expect(dataOf(res)).toMatchObject({
      source: 'url_list',
      total_images: 3,
      distinct_urls: 2,
      total_chunks: 2,
      batch_name: 'from json',
    });
    const stored = (await readObject(gw.deps.store, `uploads/${dataOf(res).batch_id}/input.csv`)).toString();
    expect(parse(stored)).toEqual([['url'], ...urls.map((u) => [u])]);
    expect(await outbox(dataOf(res).batch_id)).toHaveLength(2);
  });

  it('refuses a list that is not strings, and one over the limit', async () => {
    await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .send({ urls: [1, 2] })
      .expect(400);
    await request(gw.app).post('/api/v1/batches').set(auth(alice)).send({ urls: [] }).expect(400);
    const res = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .send({ urls: Array.from({ length: 51 }, (_, i) => `http://img.test/${i}`) })
      .expect(413);
    expect(errorOf(res).details).toMatchObject({ reason: 'too_many_urls', limit_urls: 50 });
  });
});

/** What ingest and resize would leave behind: images with their outcome, and an output per success. */
async function finishAsWorkers(batchId: string, outcomes: Record<string, 'ok' | string>) {
  const { prisma } = gw.deps;
  const batch = await prisma.batch.findUniqueOrThrow({ where: { id: batchId }, include: { chunks: true } });
  const rows = parse(await readObject(gw.deps.store, batch.sourceKey!), {
    bom: true,
    from_line: 2,
    relax_column_count: true,
  }) as string[][];
  let succeeded = 0;
  let failed = 0;
  for (const c of batch.chunks) {
    const manifest = JSON.parse(
      (await readObject(gw.deps.store, `uploads/${batchId}/chunks/${String(c.seq).padStart(6, '0')}.json`)).toString(),
    );
    for (const r of manifest.rows as { row: number; urls: { url: string }[] }[]) {
      for (const [i, u] of r.urls.entries()) {
        const outcome = outcomes[u.url] ?? 'ok';
        const img = await prisma.image.create({
          data: {
            batchId,
            chunkId: c.id,
            rowNumber: r.row,
            urlIndex: i,
            sourceUrl: u.url,
            status: outcome === 'ok' ? 'succeeded' : 'failed',
            ...(outcome === 'ok' ? {} : { errorCode: outcome, errorMessage: `${outcome} for ${u.url}` }),
          },
        });
        if (outcome === 'ok') {
          succeeded++;
          await gw.deps.store.put(`outputs/${batchId}/${img.id}/default.webp`, Buffer.from('x'));
          await prisma.output.create({
            data: {
              imageId: img.id,
              variant: 'default',
              storageKey: `outputs/${batchId}/${img.id}/default.webp`,
              format: 'webp',
              width: 1,
              height: 1,
              bytes: 1,
            },
          });
        } else failed++;
      }
    }
  }
  await prisma.batch.update({
    where: { id: batchId },
    data: {
      status: 'completed',
      processedImages: succeeded + failed,
      succeededImages: succeeded,
      failedImages: failed,
      completedAt: new Date(),
    },
  });
  return rows;
}

describe('results CSV', () => {
  it('gives a product sheet back in seed shape, outputs in input order, failed ones empty', async () => {
    const csv = [
      'S. No.,Product Name,Input Image Urls,Price',
      '1,Shoe,"http://img.test/a.jpg, http://img.test/b.jpg",=1+1',
      '2,Hat,http://img.test/c.jpg,-5',
      '3,Bag,,7',
    ].join('\r\n');
    const id = dataOf(await postCsv(alice, csv).expect(202)).batch_id as string;
    await finishAsWorkers(id, { 'http://img.test/b.jpg': 'http_404' });

    const res = await request(gw.app).get(`/api/v1/batches/${id}/results.csv`).set(auth(alice)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename=".*-results\.csv"/);
    const rows = parse(res.text) as string[][];
    expect(rows[0]).toEqual([
      'S. No.',
      'Product Name',
      'Input Image Urls',
      'Output Image Urls',
      'Price',
      'Status',
      'Error',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4], r[5]])).toEqual([
      ['1', 'Shoe', 'http://img.test/a.jpg, http://img.test/b.jpg', "'=1+1", 'partial'],
      ['2', 'Hat', 'http://img.test/c.jpg', '-5', 'succeeded'],
      ['3', 'Bag', '', '7', 'no_url'],
    ]);
    const [first, second] = rows[1]![3]!.split(', ');
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*outputs/);
    expect(second).toBe('');
    expect(rows[1]![6]).toBe('URL 2: http_404: http_404 for http://img.test/b.jpg');
    expect(rows[2]![3]).toMatch(/outputs/);
    // The output URL is a working signed download.
    expect((await fetch(first!)).status).toBe(200);
  });

  it('keeps every column of a url-shape CSV and adds the output column', async () => {
    const id = dataOf(
      await postCsv(alice, 'sku,url,note\nA1,http://img.test/x.jpg,"a, b"\nA2,http://img.test/y.jpg,c\n').expect(202),
    ).batch_id as string;
    await finishAsWorkers(id, { 'http://img.test/y.jpg': 'blocked_address' });
    const rows = parse(
      (await request(gw.app).get(`/api/v1/batches/${id}/results.csv`).set(auth(alice)).expect(200)).text,
    ) as string[][];
    expect(rows[0]).toEqual(['sku', 'url', 'note', 'Output Image Urls', 'Status', 'Error']);
    expect(rows[1]!.slice(0, 3)).toEqual(['A1', 'http://img.test/x.jpg', 'a, b']);
    expect(rows[1]![4]).toBe('succeeded');
    expect(rows[2]!.slice(3)).toEqual(['', 'failed', 'blocked_address: blocked_address for http://img.test/y.jpg']);
  });

  it('shows rows not processed yet as pending', async () => {
    const id = dataOf(await postCsv(alice, 'url\nhttp://img.test/p.jpg\n').expect(202)).batch_id as string;
    const rows = parse(
      (await request(gw.app).get(`/api/v1/batches/${id}/results.csv`).set(auth(alice)).expect(200)).text,
    ) as string[][];
    expect(rows).toEqual([
      ['url', 'Output Image Urls', 'Status', 'Error'],
      ['http://img.test/p.jpg', '', 'pending', ''],
    ]);
  });
});

describe('chunks', () => {
  it('lists the chunks of a batch in order with counts and timings', async () => {
    const id = dataOf(
      await postCsv(alice, 'url\nhttp://img.test/1.jpg\nhttp://img.test/2.jpg\nhttp://img.test/3.jpg\n').expect(202),
    ).batch_id as string;
    const first = await gw.deps.prisma.chunk.findFirstOrThrow({ where: { batchId: id, seq: 1 } });
    await gw.deps.prisma.chunk.update({
      where: { id: first.id },
      data: {
        status: 'completed',
        fetched: 2,
        worker: 'host/42',
        startedAt: new Date(Date.now() - 1500),
        completedAt: new Date(),
      },
    });
    const res = await request(gw.app).get(`/api/v1/batches/${id}/chunks`).set(auth(alice)).expect(200);
    expect(dataOf(res)).toMatchObject({
      batch_id: id,
      chunk_size: 2,
      total: 2,
      by_status: { completed: 1, pending: 1 },
    });
    expect(
      dataOf(res).items.map((c: { seq: number; first_row: number; row_count: number; status: string }) => [
        c.seq,
        c.first_row,
        c.row_count,
        c.status,
      ]),
    ).toEqual([
      [1, 1, 2, 'completed'],
      [2, 3, 1, 'pending'],
    ]);
    expect(dataOf(res).items[0]).toMatchObject({ fetched: 2, failed: 0, worker: 'host/42' });
    expect(dataOf(res).items[0].duration_ms).toBeGreaterThanOrEqual(1500);
    const pending = await request(gw.app)
      .get(`/api/v1/batches/${id}/chunks?status=pending`)
      .set(auth(alice))
      .expect(200);
    expect(dataOf(pending).items.map((c: { seq: number }) => c.seq)).toEqual([2]);
  });

  it('shows in the batch detail which chunk is being worked on: the lowest not finished, then the last', async () => {
    const csv = `url\n${[1, 2, 3, 4, 5].map((n) => `http://img.test/c${n}.jpg`).join('\n')}\n`;
    const id = dataOf(await postCsv(alice, csv).expect(202)).batch_id as string;
    const detail = async () =>
      BatchDetail.parse(dataOf(await request(gw.app).get(`/api/v1/batches/${id}`).set(auth(alice)).expect(200)));
    const setChunk = (seq: number, status: 'processing' | 'completed' | 'failed') =>
      gw.deps.prisma.chunk.update({ where: { batchId_seq: { batchId: id, seq } }, data: { status } });

    expect(await detail()).toMatchObject({ chunk_size: 2, total_chunks: 3, current_chunk: 1 });
    // Chunks finish out of order: the third is done (failed) while the second still runs.
    await setChunk(1, 'completed');
    await setChunk(3, 'failed');
    await setChunk(2, 'processing');
    expect(await detail()).toMatchObject({ total_chunks: 3, current_chunk: 2 });
    await setChunk(2, 'completed');
    expect(await detail()).toMatchObject({ chunk_size: 2, total_chunks: 3, current_chunk: 3 });
  });

  it('gives a batch of uploaded images no chunks', async () => {
    const { id } = await seedBatch(gw, alice.id, { sourceKind: 'upload', images: [{}, {}, {}] });
    const res = await request(gw.app).get(`/api/v1/batches/${id}`).set(auth(alice)).expect(200);
    expect(dataOf(res)).toMatchObject({ source: 'upload', chunk_size: null, total_chunks: 0, current_chunk: null });
  });
});

describe('short forms', () => {
  it('upload → status → download, the download 404 until the batch is complete', async () => {
    const up = await postCsv(alice, 'url\nhttp://img.test/s1.jpg\nhttp://img.test/s2.jpg\n', {
      path: '/api/upload',
      field: 'csvFile',
    }).expect(202);
    // Seed 003's short forms answer flat, as its document shows.
    expect(up.body).toMatchObject({ request_id: expect.any(String), status: 'pending', total_images: 2 });
    expect(up.body.requestId).toBe(up.body.request_id);
    const id = up.body.request_id as string;

    const status = await request(gw.app).get(`/api/status/${id}`).set(auth(alice)).expect(200);
    expect(status.body).toEqual({
      request_id: id,
      requestId: id,
      request_status: 'pending',
      status: 'pending',
      batch_status: 'queued',
      completion_percentage: 0,
      total_images: 2,
      processed_images: 0,
      successful_images: 0,
      failed_images: 0,
      webhook_status: 'not_sent',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      completed_at: null,
    });
    expect(Date.parse(status.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(status.body.created_at));
    const early = await request(gw.app).get(`/api/download/${id}`).set(auth(alice)).expect(404);
    expect(errorOf(early).details).toMatchObject({ status: 'queued' });

    await finishAsWorkers(id, {});
    const done = await request(gw.app).get(`/api/status/${id}`).set(auth(alice)).expect(200);
    expect(done.body).toMatchObject({ status: 'completed', completion_percentage: 100, processed_images: 2 });
    expect(Date.parse(done.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(status.body.updated_at));
    expect(Date.parse(done.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(done.body.completed_at));
    const csv = await request(gw.app).get(`/api/download/${id}`).set(auth(alice)).expect(200);
    const rows = parse(csv.text) as string[][];
    expect(rows.map((r) => r[2])).toEqual(['Status', 'succeeded', 'succeeded']);
  });

  it('reports the webhook as not sent while the batch runs', async () => {
    const up = await postCsv(alice, 'url\nhttp://img.test/w.jpg\n', {
      path: '/api/upload',
      fields: { webhook_url: 'http://127.0.0.1:9/pixmill' },
    });
    expect(up.status).toBe(202);
    const status = await request(gw.app).get(`/api/status/${up.body.request_id}`).set(auth(alice)).expect(200);
    expect(status.body.webhook_status).toBe('not_sent');
    // Ended, its event waiting for the notifier: still not sent (the document knows no `pending`).
    await finishAsWorkers(up.body.request_id, {});
    const ended = await request(gw.app).get(`/api/status/${up.body.request_id}`).set(auth(alice)).expect(200);
    expect(ended.body).toMatchObject({ status: 'completed', webhook_status: 'not_sent' });
  });

  it('answers only the documented status values: paused is still on its way, cancelled is failed', async () => {
    const id = (await postCsv(alice, 'url\nhttp://img.test/p.jpg\n', { path: '/api/upload' }).expect(202)).body
      .request_id as string;
    const status = async () => (await request(gw.app).get(`/api/status/${id}`).set(auth(alice)).expect(200)).body;
    await gw.deps.prisma.batch.update({ where: { id }, data: { status: 'paused' } });
    expect(await status()).toMatchObject({ status: 'pending', request_status: 'pending', batch_status: 'paused' });
    await gw.deps.prisma.batch.update({ where: { id }, data: { status: 'paused', startedAt: new Date() } });
    expect(await status()).toMatchObject({ status: 'processing', batch_status: 'paused' });
    await gw.deps.prisma.batch.update({ where: { id }, data: { status: 'cancelled', completedAt: new Date() } });
    expect(await status()).toMatchObject({ status: 'failed', request_status: 'failed', batch_status: 'cancelled' });
  });

  it('serves results.csv without credentials to a signed link for that batch only', async () => {
    const mine = await postCsv(alice, 'url\nhttp://img.test/s.jpg\n').expect(202);
    const other = await postCsv(alice, 'url\nhttp://img.test/o.jpg\n').expect(202);
    const path = `/api/v1/batches/${dataOf(mine).batch_id}/results.csv`;
    const token = signResultsLink(TEST_JWT_SECRET, dataOf(mine).batch_id);
    const res = await request(gw.app).get(`${path}?token=${token}`).expect(200);
    expect(res.text.split('\n')[0]).toContain('Output Image Urls');
    // The token names one batch, and a forged or expired one is no credential at all.
    await request(gw.app)
      .get(`/api/v1/batches/${dataOf(other).batch_id}/results.csv?token=${token}`)
      .expect(401);
    // A changed signature, and the same signature spelt with other unused bits in its last character.
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const [exp, sig] = token.split('.') as [string, string];
    await request(gw.app)
      .get(`${path}?token=${exp}.${flip(sig[0]!)}${sig.slice(1)}`)
      .expect(401);
    await request(gw.app)
      .get(`${path}?token=${exp}.${sig.slice(0, -1)}${flip(sig.slice(-1))}`)
      .expect(401);
    const expired = signResultsLink(TEST_JWT_SECRET, dataOf(mine).batch_id, {
      now: new Date(Date.now() - 8 * 86_400_000),
    });
    await request(gw.app).get(`${path}?token=${expired}`).expect(401);
    await request(gw.app).get(path).expect(401);
  });

  it('answers 404 "Request not found" for an unknown, malformed or someone else\'s request', async () => {
    const theirs = dataOf(await postCsv(bob, 'url\nhttp://img.test/b.jpg\n').expect(202)).batch_id as string;
    for (const id of [theirs, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      for (const path of [`/api/status/${id}`, `/api/download/${id}`]) {
        const res = await request(gw.app).get(path).set(auth(alice)).expect(404);
        expect([path, errorOf(res).error]).toEqual([path, 'Request not found']);
      }
    }
  });

  it('refuses an upload that is not multipart', async () => {
    const res = await request(gw.app)
      .post('/api/upload')
      .set(auth(alice))
      .send({ urls: ['http://img.test/1.jpg'] })
      .expect(400);
    expect(errorOf(res).code).toBe('unsupported_content_type');
  });
});

describe('template', () => {
  it('serves a product sheet template that is itself accepted as a batch', async () => {
    const res = await request(gw.app).get('/api/v1/export/template').set(auth(alice)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('template.csv');
    expect(res.text.split('\n')[0]).toBe('S. No.,Product Name,Input Image Urls');
    await postCsv(alice, res.text).expect(202);
    const url = await request(gw.app).get('/api/v1/export/template?shape=url').set(auth(alice)).expect(200);
    expect(url.text.split('\n')[0]).toBe('url');
  });
});

describe("other users' batches", () => {
  it('are 404 on every URL-batch route', async () => {
    const id = dataOf(await postCsv(alice, 'url\nhttp://img.test/mine.jpg\n').expect(202)).batch_id as string;
    await finishAsWorkers(id, {});
    for (const path of [
      `/api/v1/batches/${id}/chunks`,
      `/api/v1/batches/${id}/results.csv`,
      `/api/status/${id}`,
      `/api/download/${id}`,
      `/api/v1/batches/${id}`,
    ]) {
      const res = await request(gw.app).get(path).set(auth(bob));
      expect([path, res.status, errorOf(res).code]).toEqual([path, 404, 'not_found']);
      await request(gw.app).get(path).set(auth(alice)).expect(200);
    }
    const keys = await storedKeys(id);
    expect(keys).toEqual(['input.csv', 'chunks/000001.json']);
  });
});

describe('webhook_url length', () => {
  // On the allowed host, so only the length can be what is refused.
  const hook = (length: number) => {
    const base = 'http://127.0.0.1:9/hook?t=';
    return base + 'a'.repeat(length - base.length);
  };
  const batches = () => gw.deps.prisma.batch.count({ where: { ownerId: alice.id } });

  it('refuses one over 2048 characters, from JSON and from a CSV upload, and takes 2048', async () => {
    const before = await batches();
    const json = await request(gw.app)
      .post('/api/v1/batches')
      .set(auth(alice))
      .send({ urls: ['http://img.test/1.jpg'], webhook_url: hook(20_000) })
      .expect(400);
    expect(errorOf(json)).toMatchObject({
      code: 'invalid_webhook_url',
      details: { field: 'webhook_url', reason: 'too_long', length: 20_000, limit: 2048 },
    });
    await postCsv(alice, 'url\nhttp://img.test/1.jpg\n', { fields: { webhook_url: hook(2049) } }).expect(400);
    expect(await batches()).toBe(before);
    await postCsv(alice, 'url\nhttp://img.test/1.jpg\n', { fields: { webhook_url: hook(2048) } }).expect(202);
  });
});
