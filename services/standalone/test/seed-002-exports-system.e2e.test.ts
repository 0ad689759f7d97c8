// Seed 002 (Image Analyzer Enterprise API), its Export API, System Management, Error Handling and Rate Limits
// sections, run as the document writes them (paths, bodies, field names; a bearer token added, an admin's on the admin
// routes) against `pnpm start` on both configurations: embedded defaults, and PostgreSQL + RabbitMQ + S3. Every field
// the document shows is checked for its name, nesting and meaning, against batches whose outcome the test knows.
import { parseCsv } from './support/csv';
import { photo } from './support/images';
import { until } from './support/seed-requests';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { unzip } from './support/unzip';
import { startUrlServer, type UrlServer } from './support/url-server';

type Auth = { Authorization: string };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** Columns `metadata` adds (default true). */
const METADATA_COLUMNS = ['batch_name', 'original_name', 'source_url', 'content_type', 'original_bytes'];

/** Seed 002's envelope around a success: `{ success: true, data, timestamp }`; answers `data`. */
function dataOf(body: Json): Json {
  expect(body).toMatchObject({ success: true, data: expect.any(Object), timestamp: expect.stringMatching(ISO) });
  return body.data as Json;
}

/** Seed 002's standard error response: `{ success: false, error, timestamp }` (pixmill adds code and details). */
function expectSeedError(body: Json, code?: string) {
  expect(body).toMatchObject({ success: false, error: expect.any(String), timestamp: expect.stringMatching(ISO) });
  expect(body.error.length).toBeGreaterThan(0);
  if (code) expect(body.code).toBe(code);
}

describe.each(CONFIGURATIONS)('seed 002 exports and system management, on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let alice: Auth;
  let bob: Auth;
  let admin: Auth;
  /** alice's batches: A has 3 good URLs and 1 that answers 404; B has 2 good URLs. */
  let A: string;
  let B: string;
  const good = (k: string, w = 64, h = 48) => `${srv.origin}/img/${k}-${w}x${h}.jpg`;
  let aUrls: string[];
  let bUrls: string[];

  async function call(method: string, path: string, auth: Auth | undefined, body?: unknown) {
    const res = await p.api(path, {
      method,
      ...(auth ? { auth } : {}),
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
  }
  const get = (path: string, auth: Auth | undefined = alice) => call('GET', path, auth);
  const post = (path: string, body: unknown, auth: Auth = alice) => call('POST', path, auth, body);

  async function download(method: string, path: string, body?: unknown, auth: Auth = alice) {
    const res = await p.api(path, {
      method,
      auth,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  /** Seed 002's example 1: `curl -X POST /api/v1/batches -F file=@urls.csv -F batch_name=… -F auto_start=true`. */
  async function createBatch(auth: Auth, name: string, urls: string[]): Promise<string> {
    const fd = new FormData();
    fd.append('file', new Blob([['url', ...urls].join('\n') + '\n'], { type: 'text/csv' }), 'urls.csv');
    fd.append('batch_name', name);
    fd.append('auto_start', 'true');
    const res = await p.api('/api/v1/batches', { method: 'POST', auth, body: fd });
    const body = (await res.json()) as Json;
    expect([200, 201, 202]).toContain(res.status);
    return dataOf(body).batch_id as string;
  }

  /** Rows of a JSON export file. */
  const jsonRows = (bytes: Buffer) => (JSON.parse(bytes.toString('utf8')) as { rows: Json[] }).rows;
  /** Rows of a CSV export file, as objects by header. */
  function csvRows(bytes: Buffer): Json[] {
    const [header, ...rows] = parseCsv(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
  }

  beforeAll(async () => {
    srv = await startUrlServer();
    p = await startTarget(config, {
      FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`,
      CHUNK_SIZE: '2',
      MAX_CSV_BYTES: '65536',
    });
    alice = await p.userAuth('alice');
    bob = await p.userAuth('bob');
    admin = await p.userAuth('admin');
    aUrls = [good('a1'), good('a2', 80, 60), `${srv.origin}/status/404`, good('a3', 40, 40)];
    bUrls = [good('b1'), good('b2', 32, 32)];
    A = await createBatch(alice, 'My Test Batch', aUrls);
    B = await createBatch(alice, 'Second batch', bUrls);
    expect((await p.waitForBatch(alice, A, 120_000)).status).toBe('completed');
    expect((await p.waitForBatch(alice, B, 120_000)).status).toBe('completed');
  }, 300_000);
  afterAll(async () => {
    await p?.close();
    await srv?.close();
  });

  describe('Export API', () => {
    it('export batch results: seed example 3 (`?format=csv&success_only=true`), metadata fields by default', async () => {
      const r = await download('GET', `/api/v1/export/batch/${A}?format=csv&success_only=true`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"/);
      const rows = csvRows(r.bytes);
      expect(rows.map((x) => x.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(rows.map((x) => x.source).sort()).toEqual([aUrls[0], aUrls[1], aUrls[3]].sort());
      // metadata defaults to true: the metadata fields are there, and filled.
      for (const c of METADATA_COLUMNS) expect(Object.keys(rows[0]!)).toContain(c);
      expect(rows[0]!.batch_name).toBe('My Test Batch');
      expect(rows.map((x) => x.source_url).sort()).toEqual([aUrls[0], aUrls[1], aUrls[3]].sort());
      const plain = csvRows((await download('GET', `/api/v1/export/batch/${A}?metadata=false`)).bytes);
      expect(plain).toHaveLength(4);
      for (const c of METADATA_COLUMNS) expect(Object.keys(plain[0]!)).not.toContain(c);
    });

    it('export batch results: formats csv (default), json and xlsx; failed_only, start_date and end_date filter', async () => {
      const csv = await download('GET', `/api/v1/export/batch/${A}`);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csvRows(csv.bytes)).toHaveLength(4);
      const json = await download('GET', `/api/v1/export/batch/${A}?format=json&failed_only=true`);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      const failed = jsonRows(json.bytes);
      expect(failed.map((x) => [x.source, x.status])).toEqual([[aUrls[2], 'failed']]);
      expect(failed[0]!.error_message).toEqual(expect.any(String));
      const xlsx = await download('GET', `/api/v1/export/batch/${A}?format=xlsx`);
      expect(xlsx.headers.get('content-type')).toBe(XLSX);
      const sheet = (await unzip(xlsx.bytes)).find((e) => e.name === 'xl/worksheets/sheet1.xml')!;
      expect(sheet.data.toString().match(/<row /g)).toHaveLength(5); // header + 4 images

      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
      const q = (s: string) => download('GET', `/api/v1/export/batch/${A}?format=json&${s}`);
      expect(jsonRows((await q(`start_date=${hourAgo}&end_date=${inAnHour}`)).bytes)).toHaveLength(4);
      expect(jsonRows((await q(`start_date=${inAnHour}`)).bytes)).toHaveLength(0);
      expect(jsonRows((await q(`end_date=${hourAgo}`)).bytes)).toHaveLength(0);
    });

    it('export batch results: has_store_name and has_contact say the analysis they need was not asked for', async () => {
      for (const f of ['has_store_name', 'has_contact']) {
        const r = await get(`/api/v1/export/batch/${A}?${f}=true`);
        expect(r.status).toBe(400);
        expectSeedError(r.body, 'analysis_not_enabled');
        expect(r.body.error).toContain(f);
      }
    });

    it('export multiple batches: the documented body gives a ZIP of one export per batch', async () => {
      const r = await download('POST', '/api/v1/export/batches/multiple', {
        batch_ids: [A, B],
        format: 'csv',
        metadata: true,
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/zip');
      const entries = await unzip(r.bytes);
      expect(entries).toHaveLength(2);
      const byBatch = new Map(entries.map((e) => [csvRows(e.data)[0]!.batch_id as string, csvRows(e.data)]));
      expect(byBatch.get(A)).toHaveLength(4);
      expect(byBatch.get(B)).toHaveLength(2);
      expect(Object.keys(byBatch.get(B)![0]!)).toEqual(expect.arrayContaining(METADATA_COLUMNS));
      const bare = await unzip(
        (await download('POST', '/api/v1/export/batches/multiple', { batch_ids: [B], format: 'json', metadata: false }))
          .bytes,
      );
      expect(Object.keys(jsonRows(bare[0]!.data)[0]!)).not.toContain('batch_name');
    });

    it('export with global filters: the nested `filters` object filters (batch_ids, dates, success_only), limit caps', async () => {
      // The document's body as written, with real batch ids: its dates (November 2025) hold none of today's results.
      const asWritten = await download('POST', '/api/v1/export/filtered', {
        filters: {
          batch_ids: [A, B],
          start_date: '2025-11-01T00:00:00Z',
          end_date: '2025-11-02T23:59:59Z',
          success_only: true,
        },
        format: 'xlsx',
        limit: 10000,
      });
      expect(asWritten.status).toBe(200);
      expect(asWritten.headers.get('content-type')).toBe(XLSX);
      const sheet = (await unzip(asWritten.bytes)).find((e) => e.name === 'xl/worksheets/sheet1.xml')!;
      expect(sheet.data.toString().match(/<row /g)).toHaveLength(1); // the header only

      const today = {
        start_date: new Date(Date.now() - 3_600_000).toISOString(),
        end_date: new Date(Date.now() + 3_600_000).toISOString(),
      };
      const rows = async (body: Json) => {
        const r = await download('POST', '/api/v1/export/filtered', { format: 'json', ...body });
        expect(r.status).toBe(200);
        return jsonRows(r.bytes);
      };
      const both = await rows({ filters: { batch_ids: [A, B], ...today, success_only: true }, limit: 10000 });
      expect(both.map((x) => x.status)).toEqual(Array(5).fill('succeeded'));
      expect(new Set(both.map((x) => x.batch_id))).toEqual(new Set([A, B]));
      expect((await rows({ filters: { batch_ids: [B] } })).map((x) => x.source)).toEqual(bUrls);
      expect((await rows({ filters: { batch_ids: [A], failed_only: true } })).map((x) => x.source)).toEqual([aUrls[2]]);
      expect(await rows({ filters: { batch_ids: [A, B] }, limit: 3 })).toHaveLength(3);
      // The same filters at the top level still work; the same one in both places must agree.
      expect(await rows({ batch_ids: [B], success_only: true })).toHaveLength(2);
      expect(await rows({ batch_ids: [B], filters: { batch_ids: [B] } })).toHaveLength(2);
      const conflict = await post('/api/v1/export/filtered', { success_only: false, filters: { success_only: true } });
      expect(conflict.status).toBe(400);
      expectSeedError(conflict.body, 'conflicting_field');
      const unknown = await post('/api/v1/export/filtered', { filters: { colour: 'red' } });
      expect(unknown.status).toBe(400);
      expectSeedError(unknown.body, 'unknown_field');
      // Another user's batch is not there for you.
      const foreign = await post('/api/v1/export/filtered', { filters: { batch_ids: [A] } }, bob);
      expect(foreign.status).toBe(404);
      expectSeedError(foreign.body);
    });

    it('download import template: CSV by default and with format=csv; a JSON URL list with format=json', async () => {
      for (const path of ['/api/v1/export/template', '/api/v1/export/template?format=csv']) {
        const r = await download('GET', path);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(r.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.csv"/);
        expect(parseCsv(r.bytes.toString())[0]).toEqual(['S. No.', 'Product Name', 'Input Image Urls']);
      }
      const url = await download('GET', '/api/v1/export/template?format=csv&shape=url');
      expect(parseCsv(url.bytes.toString())[0]).toEqual(['url']);
      const json = await download('GET', '/api/v1/export/template?format=json');
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(json.bytes.toString())).toEqual({
        urls: expect.arrayContaining([expect.stringMatching(/^https:/)]),
      });
      const bad = await get('/api/v1/export/template?format=pdf');
      expect(bad.status).toBe(400);
      expectSeedError(bad.body);
    });

    it('export statistics: total_exports, exports_today, popular_formats, average_export_size_mb count what was exported', async () => {
      const before = dataOf((await get('/api/v1/export/statistics')).body);
      await download('GET', `/api/v1/export/batch/${B}?format=csv`);
      await download('GET', `/api/v1/export/batch/${B}?format=json`);
      await download('GET', `/api/v1/export/batch/${B}?format=json`);
      // An export is logged once its last byte has gone out, which may be just after the client has read it.
      const r = await until(
        () => get('/api/v1/export/statistics'),
        (a) => a.status !== 200 || dataOf(a.body).total_exports >= before.total_exports + 3,
        10_000,
      );
      expect(r.status).toBe(200);
      const s = dataOf(r.body);
      expect(s).toMatchObject({
        total_exports: before.total_exports + 3,
        exports_today: before.exports_today + 3,
        popular_formats: {
          csv: before.popular_formats.csv + 1,
          json: before.popular_formats.json + 2,
          xlsx: before.popular_formats.xlsx,
        },
        average_export_size_mb: expect.any(Number),
      });
      expect(s.average_export_size_mb).toBeCloseTo(s.total_bytes / s.total_exports / (1024 * 1024), 2);
      // bob exported nothing: the statistics are the caller's own.
      expect(dataOf((await get('/api/v1/export/statistics', bob)).body)).toMatchObject({
        total_exports: 0,
        exports_today: 0,
      });
    });

    it('preview batch export: preview_records with the document’s fields, total_records_shown, is_preview, filters_applied', async () => {
      const r = await get(`/api/v1/export/batch/${A}/preview`);
      expect(r.status).toBe(200);
      const d = dataOf(r.body);
      expect(d.is_preview).toBe(true);
      expect(d.filters_applied).toEqual({});
      expect(d.total_records_shown).toBe(4);
      expect(d.preview_records).toHaveLength(4);
      for (const rec of d.preview_records as Json[]) {
        expect(rec).toEqual(
          expect.objectContaining({
            url: expect.any(String),
            success: expect.any(Boolean),
            store_image: null,
            text_content: null,
            store_name: null,
            business_contact: null,
            image_description: null,
            error_message: rec.success ? null : expect.any(String),
            created_at: expect.stringMatching(ISO),
          }),
        );
      }
      expect((d.preview_records as Json[]).map((x) => [x.url, x.success]).sort()).toEqual(
        [
          [aUrls[0], true],
          [aUrls[1], true],
          [aUrls[2], false],
          [aUrls[3], true],
        ].sort(),
      );
      // "Same as export batch results": the same query parameters, shown back in filters_applied.
      const only = dataOf(
        (await get(`/api/v1/export/batch/${A}/preview?format=xlsx&success_only=true&metadata=false`)).body,
      );
      expect(only.filters_applied).toEqual({ success_only: true, metadata: false });
      expect(only.total_records_shown).toBe(3);
      expect((only.preview_records as Json[]).every((x) => x.success === true)).toBe(true);
    });

    it('supported export formats: exactly the document’s supported_formats and default_format', async () => {
      const r = await get('/api/v1/export/formats');
      expect(r.status).toBe(200);
      const d = dataOf(r.body);
      expect(d.supported_formats).toEqual({
        csv: {
          name: 'Comma Separated Values',
          description: 'Standard CSV format for spreadsheet applications',
          supports_filtering: true,
          supports_metadata: true,
          file_extension: '.csv',
          mime_type: 'text/csv',
        },
        json: {
          name: 'JavaScript Object Notation',
          description: 'JSON format for API integrations',
          supports_filtering: true,
          supports_metadata: true,
          file_extension: '.json',
          mime_type: 'application/json',
        },
        xlsx: {
          name: 'Microsoft Excel',
          description: 'Excel format with multiple sheets',
          supports_filtering: true,
          supports_metadata: true,
          file_extension: '.xlsx',
          mime_type: XLSX,
        },
      });
      expect(d.default_format).toBe('csv');
    });

    it('batch export summary: batch_info, export_summary, estimated_sizes_mb, available_filters', async () => {
      const r = await get(`/api/v1/export/batch/${A}/summary`);
      expect(r.status).toBe(200);
      const d = dataOf(r.body);
      expect(d.batch_info).toEqual({
        batch_id: A,
        batch_name: 'My Test Batch',
        status: 'completed',
        created_at: expect.stringMatching(ISO),
      });
      expect(d.export_summary).toEqual({
        total_results: 4,
        successful_results: 3,
        failed_results: 1,
        success_rate: 75,
      });
      for (const f of ['csv', 'json', 'xlsx']) {
        expect(d.estimated_sizes_mb[f]).toEqual(expect.any(Number));
        expect(d.estimated_sizes_mb[f]).toBeCloseTo(d.estimated_bytes[f] / (1024 * 1024), 2);
      }
      expect(d.available_filters).toEqual({
        success_only: '3 records',
        failed_only: '1 record',
        has_store_name: expect.stringMatching(/^Records with store names/),
        has_contact: expect.stringMatching(/^Records with business contacts/),
      });
    });
  });

  describe('System Management', () => {
    it('system statistics: batch totals, URLs processed, success rate and queue_stats of the caller', async () => {
      const r = await get('/api/v1/system/stats');
      expect(r.status).toBe(200);
      const d = dataOf(r.body);
      expect(d).toMatchObject({
        total_batches: 2,
        active_batches: 0,
        completed_batches: 2,
        total_urls_processed: 6,
        overall_success_rate: 83.33,
        queue_stats: { pending: 0, processing: 0, completed: 5, failed: 1 },
      });
      // An admin's cover everyone's: at least alice's.
      const all = dataOf((await get('/api/v1/system/stats', admin)).body);
      expect(all.total_batches).toBeGreaterThanOrEqual(2);
      expect(all.queue_stats.completed).toBeGreaterThanOrEqual(5);
    });

    it('health check: status healthy, database connected, redis, and the config (with credentials)', async () => {
      const key = await post('/api/v1/api-keys', { name: 'seed 002 health' });
      expect(key.status).toBe(201);
      const r = await get('/api/v1/health');
      expect(r.status).toBe(200);
      const d = dataOf(r.body);
      expect(d).toMatchObject({
        status: 'healthy',
        database: 'connected',
        // Neither configuration sets REDIS_URL: the rate-limit counters are each process's own.
        redis: 'not_configured',
        config: {
          chunk_size: 2,
          max_concurrent_batches: null,
          max_concurrent_workers: expect.any(Number),
          api_keys_count: 1,
        },
      });
      expect(d.config.max_concurrent_workers).toBeGreaterThan(0);
      // Monitors call it without credentials: the same health, without the config.
      const anonymous = dataOf((await call('GET', '/api/v1/health', undefined)).body);
      expect(anonymous).toMatchObject({ status: 'healthy', database: 'connected' });
      expect(anonymous.config).toBeUndefined();
    });

    describe('admin queue management', () => {
      /** bob's batch C of two uploaded photos, not started; a test makes one look taken by a worker that died. */
      let C: string;
      let imageId: string;
      beforeAll(async () => {
        const fd = new FormData();
        for (const [i, w] of [60, 70].entries()) {
          fd.append(
            'files[]',
            new Blob([new Uint8Array(await photo(w, 50, 'jpeg'))], { type: 'image/jpeg' }),
            `c${i}.jpg`,
          );
        }
        fd.append('batch_name', 'Stuck batch');
        fd.append('auto_start', 'false');
        const res = await p.api('/api/v1/batches', { method: 'POST', auth: bob, body: fd });
        expect(res.status).toBe(201);
        C = dataOf((await res.json()) as Json).batch_id as string;
        const images = await p.db.image.findMany({ where: { batchId: C }, orderBy: { originalName: 'asc' } });
        expect(images).toHaveLength(2);
        imageId = images[0]!.id;
      });
      const strand = async (minutesAgo: number) => {
        await p.db.batch.update({ where: { id: C }, data: { status: 'paused' } });
        await p.db.image.update({
          where: { id: imageId },
          data: { status: 'processing', startedAt: new Date(Date.now() - minutesAgo * 60_000) },
        });
      };

      it.each(['/admin/queue/status', '/api/v1/admin/queue/status'])(
        'get queue status at %s: queue_stats, total_stuck, stuck_jobs, recommendations',
        async (path) => {
          const r = await get(path, admin);
          expect(r.status).toBe(200);
          expect(r.headers.get('content-type')).toMatch(/^application\/json/);
          const d = dataOf(r.body);
          expect(d.queue_stats).toEqual({
            pending: expect.any(Number),
            processing: expect.any(Number),
            retrying: expect.any(Number),
            completed: expect.any(Number),
            failed: expect.any(Number),
            cancelled: expect.any(Number),
          });
          expect(d.queue_stats.completed).toBeGreaterThanOrEqual(5);
          expect(d.queue_stats.failed).toBeGreaterThanOrEqual(1);
          expect(d.queue_stats.pending).toBeGreaterThanOrEqual(2); // batch C, not started
          expect(d).toMatchObject({ total_stuck: 0, stuck_jobs: [], recommendations: ['Queue is operating normally'] });
          const denied = await get(path, alice);
          expect(denied.status).toBe(403);
          expectSeedError(denied.body);
        },
      );

      it('queue status names a stuck job and recommends the reset', async () => {
        await strand(90);
        const d = dataOf((await get('/admin/queue/status', admin)).body);
        expect(d.total_stuck).toBe(1);
        expect(d.stuck_jobs).toEqual([
          expect.objectContaining({
            job_id: imageId,
            batch_id: C,
            status: 'processing',
            started_at: expect.stringMatching(ISO),
          }),
        ]);
        expect(d.stuck_jobs[0].stuck_minutes).toBeGreaterThanOrEqual(89);
        expect(d.recommendations.join(' ')).toContain('/admin/batch/{batch_id}/reset');
        expect(d.recommendations).not.toContain('Queue is operating normally');
      });

      it('reset stuck batch: `{"force": false}` resets images stuck past the threshold; force resets any in flight', async () => {
        await strand(90);
        const r = await post(`/admin/batch/${C}/reset`, { force: false }, admin);
        expect(r.status).toBe(200);
        expect(dataOf(r.body)).toMatchObject({ batch_id: C, force: false, reset_images: 1 });
        expect((await p.db.image.findUniqueOrThrow({ where: { id: imageId } })).status).toBe('pending');

        await strand(1); // taken a minute ago: not stuck yet
        const gentle = dataOf((await post(`/admin/batch/${C}/reset`, { force: false }, admin)).body);
        expect(gentle.reset_images).toBe(0);
        expect((await p.db.image.findUniqueOrThrow({ where: { id: imageId } })).status).toBe('processing');
        const forced = dataOf((await post(`/api/v1/admin/batch/${C}/reset`, { force: true }, admin)).body);
        expect(forced).toMatchObject({ force: true, reset_images: 1 });
        expect((await p.db.image.findUniqueOrThrow({ where: { id: imageId } })).status).toBe('pending');

        const notAdmin = await post(`/admin/batch/${C}/reset`, { force: false }, bob);
        expect(notAdmin.status).toBe(403);
        const bad = await post(`/admin/batch/${C}/reset`, { force: 'yes' }, admin);
        expect(bad.status).toBe(400);
        expectSeedError(bad.body);
      });

      it('clean up queue: the documented body; max_age_hours and clean_database decide what is deleted', async () => {
        const finished = (kind: string) =>
          p.db.outboxMessage.count({ where: { queue: kind, publishedAt: { not: null } } });
        const chunks = await finished('ingest.chunk');
        const resizes = await finished('resize.image');
        expect(chunks).toBeGreaterThan(0);
        expect(resizes).toBeGreaterThan(0);

        const asWritten = await post(
          '/admin/queue/cleanup',
          { job_types: ['process_chunk', 'chunk_processing'], max_age_hours: 24, clean_database: true },
          admin,
        );
        expect(asWritten.status).toBe(200);
        expect(dataOf(asWritten.body)).toMatchObject({
          job_types: ['ingest.chunk'],
          max_age_hours: 24,
          clean_database: true,
          finished_jobs_deleted: 0, // every job here finished minutes ago
        });
        expect(await finished('ingest.chunk')).toBe(chunks);

        const dryRun = dataOf(
          (
            await post(
              '/admin/queue/cleanup',
              { job_types: ['process_chunk'], max_age_hours: 0, clean_database: false },
              admin,
            )
          ).body,
        );
        expect(dryRun).toMatchObject({ finished_jobs_matched: chunks, finished_jobs_deleted: 0 });
        expect(await finished('ingest.chunk')).toBe(chunks);

        const clean = dataOf(
          (
            await post(
              '/api/v1/admin/queue/cleanup',
              { job_types: ['process_chunk'], max_age_hours: 0, clean_database: true },
              admin,
            )
          ).body,
        );
        expect(clean).toMatchObject({ finished_jobs_matched: chunks, finished_jobs_deleted: chunks });
        expect(await finished('ingest.chunk')).toBe(0);
        expect(await finished('resize.image')).toBe(resizes); // another job type: untouched

        const unknown = await post('/admin/queue/cleanup', { job_types: ['mystery'] }, admin);
        expect(unknown.status).toBe(400);
        expectSeedError(unknown.body);
      });
    });
  });

  describe('Error Handling and Rate Limits', () => {
    it('errors are the standard error response with the documented status codes (400, 404, 409, 413)', async () => {
      const badParam = await get(`/api/v1/export/batch/${A}?format=pdf`);
      expect(badParam.status).toBe(400);
      expectSeedError(badParam.body);
      const missing = await get('/api/v1/export/batch/123e4567-e89b-12d3-a456-426614174000/summary');
      expect(missing.status).toBe(404);
      expectSeedError(missing.body);
      const notMine = await get(`/api/v1/export/batch/${A}/preview`, bob);
      expect(notMine.status).toBe(404);
      expectSeedError(notMine.body);
      // BatchStateError: an operation the batch's state does not allow (a finished batch has nothing to reset).
      const finished = await post(`/admin/batch/${A}/reset`, { force: false }, admin);
      expect(finished.status).toBe(409);
      expectSeedError(finished.body, 'batch_state_error');

      const fd = new FormData();
      const big = ['url', ...Array.from({ length: 2000 }, (_, i) => good(`big${i}`))].join('\n');
      expect(big.length).toBeGreaterThan(65536);
      fd.append('file', new Blob([big], { type: 'text/csv' }), 'urls.csv');
      const tooLarge = await p.api('/api/v1/batches', { method: 'POST', auth: alice, body: fd });
      expect(tooLarge.status).toBe(413);
      expectSeedError((await tooLarge.json()) as Json);
    });

    it('rate limits are announced on every API answer; an export takes up to 1M records', async () => {
      for (const [path, auth] of [
        ['/api/v1/export/formats', alice],
        ['/admin/queue/status', admin],
      ] as const) {
        const r = await get(path, auth);
        expect(r.headers.get('ratelimit-policy')).toMatch(/q=\d+/);
        expect(r.headers.get('ratelimit')).toMatch(/r=\d+/);
      }
      const max = await download('POST', '/api/v1/export/filtered', {
        filters: { batch_ids: [B] },
        format: 'json',
        limit: 1_000_000,
      });
      expect(max.status).toBe(200);
      const over = await post('/api/v1/export/filtered', { filters: { batch_ids: [B] }, limit: 1_000_001 });
      expect(over.status).toBe(400);
      expectSeedError(over.body);
    });
  });
});
