import { inflateRawSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { bearer, seedBatch, type Seeded } from './batch-fixtures';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

let gw: TestGateway;
let alice: TestUser;
let batch: Seeded;
const day = 86_400_000;

/** Collects a binary answer (supertest buffers only text types by default). */
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('end', () => cb(null, Buffer.concat(parts)));
};

/** Entries of a ZIP, read from its central directory (enough for archiver's output: stored or deflated). */
function unzip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createUser();
  batch = await seedBatch(gw, alice.id, {
    status: 'completed',
    name: 'Spring sale',
    images: [
      { status: 'succeeded', name: '=HYPERLINK("http://evil.example","x").jpg', variants: ['large', 'thumb'] },
      {
        status: 'failed',
        sourceUrl: 'https://img.example/b.jpg',
        errorCode: 'http_404',
        errorMessage: '-1+2 not found',
      },
      { status: 'succeeded', name: '@sum.jpg', processedAt: new Date(Date.now() - 3 * day), sourceRow: { sku: '+42' } },
    ],
  });
});
afterAll(() => gw?.close());

const get = (path: string, user = alice) => request(gw.app).get(path).set(bearer(user.token));

describe('export of one batch', () => {
  it('CSV: streamed with type and file name, one row per image and variant, parses back', async () => {
    const res = await get(`/api/v1/export/batch/${batch.id}?format=csv`).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="Spring-sale-${batch.id.slice(0, 8)}.csv"`);
    const rows = parseCsv(res.text, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.image_id, r.status, r.variant])).toEqual([
      [batch.imageIds[0], 'succeeded', 'large'],
      [batch.imageIds[0], 'succeeded', 'thumb'],
      [batch.imageIds[1], 'failed', ''],
      [batch.imageIds[2], 'succeeded', 'thumb'],
    ]);
    expect(rows[2]).toMatchObject({ error_code: 'http_404', source: 'https://img.example/b.jpg', output_url: '' });
    expect(rows[0]!.output_url).toMatch(/^http/);
    expect(rows[0]).toMatchObject({ width: '64', height: '48', bytes: '1000' });
  });

  it('CSV and XLSX neutralise formula-like cells; JSON keeps them as they are', async () => {
    const csv = parseCsv((await get(`/api/v1/export/batch/${batch.id}?format=csv&metadata=true`)).text, {
      columns: true,
      bom: true,
    }) as Record<string, string>[];
    expect(csv[0]!.source).toBe(`'=HYPERLINK("http://evil.example","x").jpg`);
    expect(csv[2]!.error_message).toBe(`'-1+2 not found`);
    expect(csv[3]!.source).toBe(`'@sum.jpg`);
    expect(csv[3]!.source_row).toBe('{"sku":"+42"}');
    expect(csv.flatMap((r) => Object.values(r)).filter((v) => /^[=+\-@\t\r]/.test(v))).toEqual([]);

    const xlsx = await get(`/api/v1/export/batch/${batch.id}?format=xlsx`).buffer(true).parse(binary).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Uint8Array.from(xlsx.body as Buffer).buffer);
    const sheet = wb.getWorksheet('results')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const col = (name: string) => header.indexOf(name) + 1;
    expect(sheet.getRow(2).getCell(col('source')).value).toBe(`'=HYPERLINK("http://evil.example","x").jpg`);
    expect(sheet.getRow(4).getCell(col('error_message')).value).toBe(`'-1+2 not found`);

    // A file, not an answer: not in the envelope.
    const json = (await get(`/api/v1/export/batch/${batch.id}?format=json`).expect(200)).body;
    expect(json.rows[0].source).toBe('=HYPERLINK("http://evil.example","x").jpg');
  });

  it('JSON: valid document with the rows and their count', async () => {
    const res = await get(`/api/v1/export/batch/${batch.id}?format=json`).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/filename=".*\.json"/);
    expect(res.body.success).toBeUndefined();
    expect(res.body.row_count).toBe(4);
    expect(res.body.rows).toHaveLength(4);
    expect(res.body.rows[0]).toMatchObject({
      batch_id: batch.id,
      variant: 'large',
      width: 64,
      processing_ms: expect.any(Number),
    });
    expect(res.body.export.columns).toContain('output_url');
  });

  it('XLSX: results and summary sheets read back with exceljs', async () => {
    const res = await get(`/api/v1/export/batch/${batch.id}?format=xlsx`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).toMatch(/filename=".*\.xlsx"/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Uint8Array.from(res.body as Buffer).buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['results', 'summary']);
    const results = wb.getWorksheet('results')!;
    expect(results.rowCount).toBe(5);
    const header = (results.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 3)).toEqual(['batch_id', 'image_id', 'row_number']);
    expect(results.getRow(2).getCell(header.indexOf('width') + 1).value).toBe(64);
    const summary = new Map<string, unknown>();
    wb.getWorksheet('summary')!.eachRow((r) => summary.set(String(r.getCell(1).value), r.getCell(2).value));
    expect(summary.get('exported_rows')).toBe(4);
    expect(summary.get('failed_count')).toBe(1);
  });

  it('filters: success_only, failed_only, date range; both only-flags at once is a 400', async () => {
    const rows = async (q: string) =>
      (await get(`/api/v1/export/batch/${batch.id}?format=json&${q}`).expect(200)).body.rows as {
        image_id: string;
        status: string;
      }[];
    expect(new Set((await rows('success_only=true')).map((r) => r.status))).toEqual(new Set(['succeeded']));
    expect((await rows('success_only=true')).length).toBe(3);
    expect((await rows('failed_only=true')).map((r) => r.image_id)).toEqual([batch.imageIds[1]]);
    const since = new Date(Date.now() - day).toISOString();
    const recent = await rows(`start_date=${since}`);
    expect(recent.map((r) => r.image_id)).not.toContain(batch.imageIds[2]);
    expect(recent).toHaveLength(3);
    const until = new Date(Date.now() - 2 * day).toISOString();
    expect((await rows(`end_date=${until}`)).map((r) => r.image_id)).toEqual([batch.imageIds[2]]);
    await get(`/api/v1/export/batch/${batch.id}?success_only=true&failed_only=true`).expect(400);
    await get(`/api/v1/export/batch/${batch.id}?format=pdf`).expect(400);
  });

  it('keeps input order across pages (more rows than one database page)', async () => {
    const many = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: Array.from({ length: 520 }, () => ({ status: 'failed' as const, original: false })),
    });
    const res = await get(`/api/v1/export/batch/${many.id}?format=csv`).expect(200);
    const rows = parseCsv(res.text, { columns: true, bom: true }) as { row_number: string }[];
    expect(rows.map((r) => Number(r.row_number))).toEqual(Array.from({ length: 520 }, (_, i) => i + 1));
  });

  it('preview gives the first rows as JSON; summary gives counts and size estimates', async () => {
    const preview = await get(`/api/v1/export/batch/${batch.id}/preview?limit=2`).expect(200);
    expect(dataOf(preview).rows).toHaveLength(2);
    expect(dataOf(preview).columns).toContain('status');
    await get(`/api/v1/export/batch/${batch.id}/preview?limit=101`).expect(400);

    const summary = await get(`/api/v1/export/batch/${batch.id}/summary`).expect(200);
    expect(dataOf(summary)).toMatchObject({ images: 3, rows: 4, images_by_status: { succeeded: 2, failed: 1 } });
    const csvBytes = Buffer.byteLength((await get(`/api/v1/export/batch/${batch.id}?format=csv`)).text);
    // Every row was sampled, so the CSV estimate is the real size give or take the signed URLs' variation.
    expect(Math.abs(dataOf(summary).estimated_bytes.csv - csvBytes)).toBeLessThan(csvBytes * 0.05);
    expect(dataOf(summary).estimated_bytes.xlsx).toBeGreaterThan(0);
  });
});

describe('multi-batch and filtered exports', () => {
  it('ZIP holds one file per batch, each parsing back to that batch’s rows', async () => {
    const other = await seedBatch(gw, alice.id, {
      status: 'completed',
      name: 'other',
      images: [{ status: 'succeeded' }],
    });
    const res = await request(gw.app)
      .post('/api/v1/export/batches/multiple')
      .set(bearer(alice.token))
      .send({ batch_ids: [batch.id, other.id], format: 'csv' })
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/filename="pixmill-export-.*\.zip"/);
    const files = unzip(res.body as Buffer);
    expect([...files.keys()].sort()).toEqual(
      [`Spring-sale-${batch.id.slice(0, 8)}.csv`, `other-${other.id.slice(0, 8)}.csv`].sort(),
    );
    const rows = parseCsv(files.get(`other-${other.id.slice(0, 8)}.csv`)!, { columns: true, bom: true }) as {
      batch_id: string;
    }[];
    expect(rows.map((r) => r.batch_id)).toEqual([other.id]);
    expect(
      (parseCsv(files.get(`Spring-sale-${batch.id.slice(0, 8)}.csv`)!, { columns: true, bom: true }) as []).length,
    ).toBe(4);
  });

  it('ZIP refuses a batch that is not the caller’s, naming it', async () => {
    const mallory = await gw.createUser();
    const res = await request(gw.app)
      .post('/api/v1/export/batches/multiple')
      .set(bearer(mallory.token))
      .send({ batch_ids: [batch.id] })
      .expect(404);
    expect(errorOf(res).details.batch_id).toBe(batch.id);
  });

  it('filtered export spans the caller’s batches, honours image status and the limit', async () => {
    const dave = await gw.createUser();
    const a = await seedBatch(gw, dave.id, {
      status: 'completed',
      images: [{ status: 'failed' }, { status: 'succeeded' }],
    });
    const b = await seedBatch(gw, dave.id, { status: 'failed', images: [{ status: 'failed' }, { status: 'failed' }] });
    const send = (body: object) =>
      request(gw.app).post('/api/v1/export/filtered').set(bearer(dave.token)).send(body).expect(200);
    const failed = (await send({ format: 'json', image_status: ['failed'] })).body.rows as { batch_id: string }[];
    expect(failed).toHaveLength(3);
    expect(new Set(failed.map((r) => r.batch_id))).toEqual(new Set([a.id, b.id]));
    expect((await send({ format: 'json', limit: 2 })).body.rows).toHaveLength(2);
    expect((await send({ format: 'json', batch_status: ['completed'] })).body.rows).toHaveLength(2);
    const csv = await send({ format: 'csv', batch_ids: [b.id] });
    expect((parseCsv(csv.text, { columns: true, bom: true }) as []).length).toBe(2);
    await request(gw.app)
      .post('/api/v1/export/filtered')
      .set(bearer(dave.token))
      .send({ batch_ids: [batch.id] })
      .expect(404);
  });
});

describe('formats and statistics', () => {
  it('lists the formats with their content types', async () => {
    const res = await get('/api/v1/export/formats').expect(200);
    expect(dataOf(res).formats.map((f: { format: string }) => f.format)).toEqual(['csv', 'json', 'xlsx']);
    expect(dataOf(res).columns).toContain('output_url');
  });

  it('counts finished exports by format from the export log', async () => {
    const erin = await gw.createUser();
    const b = await seedBatch(gw, erin.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'failed' }],
    });
    await get(`/api/v1/export/batch/${b.id}?format=csv`, erin).expect(200);
    await get(`/api/v1/export/batch/${b.id}?format=csv&failed_only=true`, erin).expect(200);
    await get(`/api/v1/export/batch/${b.id}?format=json`, erin).expect(200);
    const stats = dataOf(await get('/api/v1/export/statistics', erin).expect(200));
    expect(stats).toMatchObject({ total_exports: 3, total_rows: 5 });
    expect(stats.by_format.csv).toMatchObject({ exports: 2, rows: 3 });
    expect(stats.by_format.json).toMatchObject({ exports: 1, rows: 2 });
    expect(stats.total_bytes).toBeGreaterThan(100);
    expect(stats.recent[0]).toMatchObject({ format: 'json', batch_ids: [b.id] });
    expect(stats.recent[1].filters).toMatchObject({ image_status: ['failed'] });
    // Another user's statistics do not include these.
    expect(dataOf(await get('/api/v1/export/statistics', await gw.createUser()).expect(200)).total_exports).toBe(0);
  });
});
