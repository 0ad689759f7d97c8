// Seed 002 (Image Analyzer Enterprise API), its "Batch Management API" and "Polling API" sections and its examples,
// run as written against a running pixmill (`pnpm start` in a process of its own) on both configurations, with a
// bearer token added: every field the document shows, under its name and nesting, inside the `{ success, data,
// message?, timestamp }` envelope. The document's example.com URLs are served by a loopback image server.
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { startUrlServer, type UrlServer } from './support/url-server';

type Auth = { Authorization: string };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Answer = { status: number; headers: Headers; body: Json };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const STATUSES = ['pending', 'queued', 'processing', 'paused', 'completed', 'failed', 'cancelled'];

/** The envelope every /api/v1 JSON success is in; answers its data. */
function dataOf(a: Answer, status = 200): Json {
  if (a.status !== status) throw new Error(`expected ${status}, got ${a.status}: ${JSON.stringify(a.body)}`);
  expect(a.body.success).toBe(true);
  expect(a.body.timestamp).toMatch(ISO);
  expect(a.body).toHaveProperty('data');
  return a.body.data as Json;
}

describe.each(CONFIGURATIONS)('seed 002 batches on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let alice: Auth;
  /** The batch of the document's complete workflow (created, polled to its end). */
  let batchId: string;

  beforeAll(async () => {
    srv = await startUrlServer();
    p = await startTarget(config, { FETCH_ALLOW_HOSTS: srv.host, CHUNK_SIZE: '2', FETCH_TIMEOUT_MS: '5000' });
    alice = await p.userAuth('alice');
  }, 240_000);
  afterAll(async () => {
    srv?.openGate();
    await p?.close();
    await srv?.close();
  });

  /** `curl [-X method] http://localhost:5001<path>` with the token; a JSON body when given. */
  async function curl(path: string, o: { method?: string; json?: unknown; form?: FormData } = {}): Promise<Answer> {
    const res = await p.api(path, {
      method: o.method ?? (o.json !== undefined || o.form ? 'POST' : 'GET'),
      auth: alice,
      ...(o.json !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(o.json) }
        : o.form
          ? { body: o.form }
          : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
  }

  /** `curl -X POST /api/v1/batches -F "file=@urls.csv" -F "batch_name=…" -F "auto_start=…"` */
  function createBatch(urls: string[], fields: Record<string, string>) {
    const csv = ['url', ...urls].join('\n') + '\n';
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'urls.csv');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return curl('/api/v1/batches', { form });
  }

  const img = (name: string) => `${srv.origin}/img/${name}`;

  /** The document's `pollBatchStatus`, translated to TypeScript with a bearer token; it answers what it saw. */
  async function pollBatchStatus(id: string) {
    const seen: { progress: number; interval: number; at: number }[] = [];
    const lines: string[] = [];
    // The sample's console.log lines, kept for the test to read.
    const console = { log: (line: string) => lines.push(line) };
    const started = Date.now();
    while (true) {
      const response = await fetch(`${p.url}/api/v1/batches/${id}/progress`, { headers: alice });
      const data = (await response.json()) as Json;

      if (data.success) {
        console.log(`Progress: ${data.data.progress_percentage}%`);

        if (!data.data.is_active) {
          console.log('Batch completed');
          break;
        }

        // Use recommended polling interval from headers
        const interval = parseInt(response.headers.get('X-Polling-Interval') || '10');
        seen.push({ progress: data.data.progress_percentage, interval, at: Date.now() - started });
        await new Promise((resolve) => setTimeout(resolve, interval * 1000));
      }
      // The sample loops again at once on a failure: a test that would spin must fail instead.
      if (Date.now() - started > 90_000) throw new Error(`pollBatchStatus did not end: ${JSON.stringify(data)}`);
    }
    return { seen, lines, ms: Date.now() - started };
  }

  describe('Complete Batch Processing Workflow', () => {
    it('1. Create and Start Batch: data.batch_id and data.batch_info as documented, with its message', async () => {
      // The document's CSV Upload Format: a `url` header, one URL a row (a .gif is not among pixmill's formats).
      const a = await createBatch([img('image1-640x480.jpg'), img('image2-320x240.png'), img('image3-200x200.webp')], {
        batch_name: 'My Test Batch',
        auto_start: 'true',
      });
      expect([201, 202]).toContain(a.status);
      const data = dataOf(a, a.status);
      expect(a.body.message).toBe('Batch created and processing started');
      expect(data.batch_id).toMatch(UUID);
      expect(data.batch_info).toEqual({
        batch_name: 'My Test Batch',
        total_urls: 3,
        total_chunks: 2, // CHUNK_SIZE 2: two URLs, then one
        status: expect.stringMatching(/^(queued|processing)$/),
        auto_started: true,
      });
      // pixmill's own fields stay beside them.
      expect(data).toMatchObject({ batch_id: data.batch_id, total_images: 3, total_chunks: 2, chunk_size: 2 });
      batchId = data.batch_id;
    });

    it('2. Monitor Progress: pollBatchStatus ends when is_active turns false, waiting X-Polling-Interval between polls', async () => {
      const { seen, lines } = await pollBatchStatus(batchId);
      expect(lines.at(-1)).toBe('Batch completed');
      expect(lines.at(-2)).toBe('Progress: 100%');
      for (const l of lines.slice(0, -1)) expect(l).toMatch(/^Progress: \d+(\.\d)?%$/);
      // Not a busy loop: every wait is the header's interval, a whole number of seconds.
      for (const s of seen) expect(s.interval).toBeGreaterThanOrEqual(1);
      const last = dataOf(await curl(`/api/v1/batches/${batchId}/progress`));
      expect(last).toMatchObject({ status: 'completed', is_active: false, progress_percentage: 100 });
    });

    it('3. Export Results: curl "…/export/batch/{id}?format=csv&success_only=true" -o results.csv', async () => {
      const res = await p.api(`/api/v1/export/batch/${batchId}?format=csv&success_only=true`, { auth: alice });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const csv = await res.text();
      for (const name of ['image1-640x480.jpg', 'image2-320x240.png', 'image3-200x200.webp'])
        expect(csv).toContain(name);
    });
  });

  describe('Polling API', () => {
    it('GET /batches/{id}/progress: every documented field, with X-Polling-Interval', async () => {
      const a = await curl(`/api/v1/batches/${batchId}/progress`);
      const d = dataOf(a);
      expect(a.headers.get('x-polling-interval')).toMatch(/^\d+$/);
      expect(d).toMatchObject({
        batch_id: batchId,
        status: 'completed',
        progress_percentage: 100,
        processed_count: 3,
        total_urls: 3,
        successful_count: 3,
        failed_count: 0,
        current_chunk: 2,
        total_chunks: 2,
        is_active: false,
      });
      expect(d.estimated_completion).toBeNull(); // over: nothing left to estimate
      expect(typeof d.processing_rate_per_minute).toBe('number');
      expect(d.processing_rate_per_minute).toBeGreaterThan(0);
    });

    it.each(['/api/v1/batch/{id}', '/api/v1/batches/{id}', '/api/v1/batches/{id}/status'])(
      'GET %s: batch_info, progress, timing and performance as documented',
      async (path) => {
        const a = await curl(path.replace('{id}', batchId));
        const d = dataOf(a);
        expect(a.headers.get('x-polling-interval')).toMatch(/^\d+$/);
        expect(d.batch_info).toEqual({
          batch_id: batchId,
          batch_name: 'My Test Batch',
          status: 'completed',
          total_urls: 3,
          chunk_size: 2,
          total_chunks: 2,
          is_active: false,
          created_at: expect.stringMatching(ISO),
          started_at: expect.stringMatching(ISO),
          completed_at: expect.stringMatching(ISO),
        });
        expect(d.progress).toEqual({
          processed_count: 3,
          successful_count: 3,
          failed_count: 0,
          progress_percentage: 100,
          current_chunk: 2,
          total_chunks: 2,
        });
        expect(d.timing.estimated_completion).toBeNull();
        expect(typeof d.timing.elapsed_time_minutes).toBe('number');
        expect(d.timing.elapsed_time_minutes).toBeGreaterThanOrEqual(0);
        expect(d.performance.processing_rate_per_minute).toBeGreaterThan(0);
        expect(d.performance.success_rate).toBe(100);
        expect(d.performance.average_time_per_url).toBeGreaterThanOrEqual(0);
        // pixmill's own, beside the document's
        expect(d).toMatchObject({ batch_id: batchId, total_images: 3, processed_images: 3, progress_percentage: 100 });
      },
    );

    it('Batch Control Operations: start, pause, resume, cancel, force-start answer data.started / paused / … and a message', async () => {
      // pending until started (auto_start=false): start
      const created = await createBatch([img('c1-300x200.jpg')], { batch_name: 'controls', auto_start: 'false' });
      const c = dataOf(created, created.status);
      expect(c.batch_info).toMatchObject({ status: 'pending', auto_started: false, total_urls: 1, total_chunks: 1 });
      expect(created.body.message).toMatch(/^Batch created/);
      const started = await curl(`/api/v1/batches/${c.batch_id}/start`, { method: 'POST' });
      expect(dataOf(started)).toMatchObject({ batch_id: c.batch_id, started: true });
      expect(started.body.message).toBe('Batch processing started');

      // force-start with the document's body
      const pending = await createBatch([img('f1-300x200.jpg')], { auto_start: 'false' });
      const other = dataOf(pending, pending.status);
      const forced = await curl(`/api/v1/batches/${other.batch_id}/force-start`, { json: { skip_validation: false } });
      expect(dataOf(forced)).toMatchObject({ batch_id: other.batch_id, started: true });
      expect(forced.body.message).toBe('Batch processing started');

      // A running batch (its image host holds every answer): pause, resume, cancel as the Batch Control Example.
      srv.closeGate(0);
      const held = await createBatch([img('h1-300x200.jpg'), img('h2-300x200.jpg')], { auto_start: 'true' });
      const h = dataOf(held, held.status);
      const pause = await curl(`/api/v1/batches/${h.batch_id}/pause`, { method: 'POST' });
      expect(dataOf(pause)).toMatchObject({ batch_id: h.batch_id, paused: true, status: 'paused' });
      expect(pause.body.message).toBe('Batch paused');
      const resume = await curl(`/api/v1/batches/${h.batch_id}/resume`, { method: 'POST' });
      expect(dataOf(resume)).toMatchObject({ batch_id: h.batch_id, resumed: true });
      expect(resume.body.message).toBe('Batch processing resumed');
      const cancel = await curl(`/api/v1/batches/${h.batch_id}/cancel`, { method: 'POST' });
      expect(dataOf(cancel)).toMatchObject({ batch_id: h.batch_id, cancelled: true, status: 'cancelled' });
      expect(cancel.body.message).toBe('Batch cancelled');
      srv.openGate();

      // An action the state does not allow: the document's error shape (BatchStateError).
      const again = await curl(`/api/v1/batches/${h.batch_id}/pause`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        success: false,
        error: expect.any(String),
        timestamp: expect.stringMatching(ISO),
      });
      await p.waitForBatch(alice, c.batch_id);
      await p.waitForBatch(alice, other.batch_id);
    });
  });
  describe('Batch Management API', () => {
    it('List Batches: data.batches and data.count, honouring limit, status, page/per_page and include_soft_deleted', async () => {
      const all = dataOf(await curl('/api/v1/batches'));
      expect(all.count).toBe(all.batches.length);
      expect(all.per_page).toBe(50); // the documented default limit
      const item = all.batches.find((b: Json) => b.batch_id === batchId);
      expect(item).toEqual(
        expect.objectContaining({
          batch_id: batchId,
          batch_name: 'My Test Batch',
          status: 'completed',
          total_urls: 3,
          processed_count: 3,
          progress_percentage: 100,
          created_at: expect.stringMatching(ISO),
          started_at: expect.stringMatching(ISO),
        }),
      );
      for (const b of all.batches) expect(STATUSES).toContain(b.status);

      const one = dataOf(await curl('/api/v1/batches?limit=1'));
      expect(one).toMatchObject({ count: 1 });
      expect(one.batches).toHaveLength(1);
      expect(dataOf(await curl('/api/v1/batches?limit=100')).count).toBe(all.count);
      expect((await curl('/api/v1/batches?limit=101')).status).toBe(400);

      const completed = dataOf(await curl('/api/v1/batches?status=completed'));
      expect(completed.count).toBeGreaterThan(0);
      for (const b of completed.batches) expect(b.status).toBe('completed');
      expect(dataOf(await curl('/api/v1/batches?status=cancelled')).batches.map((b: Json) => b.status)).toEqual(
        expect.arrayContaining(['cancelled']),
      );
      // The create example spells a status "QUEUED": a filter takes any case.
      expect(dataOf(await curl('/api/v1/batches?status=COMPLETED')).count).toBe(completed.count);
      const both = await curl('/api/v1/batches?limit=1&per_page=2');
      expect(both.status).toBe(400);
      expect(both.body.error).toMatch(/limit and per_page/);
      const bad = await curl('/api/v1/batches?status=sleeping');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ success: false, error: expect.stringContaining('sleeping') });

      const page1 = dataOf(await curl('/api/v1/batches?page=1&per_page=2'));
      const page2 = dataOf(await curl('/api/v1/batches?page=2&per_page=2'));
      expect(page1.count).toBe(2);
      expect(page2.batches.map((b: Json) => b.batch_id)).not.toContain(page1.batches[0].batch_id);
    });

    it('Clone, Soft Delete and Delete take the documented bodies and query', async () => {
      const clone = await curl(`/api/v1/batches/${batchId}/clone`, {
        json: { new_name: 'Cloned Batch Name', copy_results: false },
      });
      const cl = dataOf(clone, 201);
      // copy_results false: every image runs again, so nothing of the source's outcome is in the clone.
      expect(cl).toMatchObject({
        cloned: true,
        batch_name: 'Cloned Batch Name',
        cloned_from: batchId,
        copy_results: false,
        processed_count: 0,
        total_urls: 3,
      });
      expect(cl.batch_id).toMatch(UUID);
      expect(cl.batch_id).not.toBe(batchId);
      expect(clone.body.message).toBe('Batch cloned');

      const soft = await curl(`/api/v1/batches/${cl.batch_id}/soft-delete`, { json: { retention_days: 30 } });
      const sd = dataOf(soft);
      expect(sd).toMatchObject({ batch_id: cl.batch_id, soft_deleted: true });
      expect(Date.parse(sd.purge_after) - Date.parse(sd.deleted_at)).toBe(30 * 24 * 3600_000);
      const hidden = dataOf(await curl('/api/v1/batches?limit=100'));
      expect(hidden.batches.map((b: Json) => b.batch_id)).not.toContain(cl.batch_id);
      const shown = dataOf(await curl('/api/v1/batches?limit=100&include_soft_deleted=true'));
      expect(shown.batches.map((b: Json) => b.batch_id)).toContain(cl.batch_id);

      const del = await curl(`/api/v1/batches/${cl.batch_id}?force=false`, { method: 'DELETE' });
      expect(dataOf(del)).toMatchObject({ batch_id: cl.batch_id, deleted: true });
      const gone = await curl(`/api/v1/batch/${cl.batch_id}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({
        success: false,
        error: expect.any(String),
        timestamp: expect.stringMatching(ISO),
      });
    });
  });

  describe('Batch Analytics and chunks', () => {
    let failing: string;
    beforeAll(async () => {
      // Two good images and two URLs whose host answers 404: something to analyse.
      const a = await createBatch(
        [img('g1-300x200.jpg'), `${srv.origin}/status/404`, img('g2-300x200.png'), `${srv.origin}/status/404?b`],
        { batch_name: 'with errors' },
      );
      failing = dataOf(a, a.status).batch_id;
      await p.waitForBatch(alice, failing);
    });

    it('Get Batch Health Score: health_score, factors and recommendations', async () => {
      const d = dataOf(await curl(`/api/v1/batches/${failing}/health`));
      expect(typeof d.health_score).toBe('number');
      expect(d.health_score).toBeGreaterThanOrEqual(0);
      expect(d.health_score).toBeLessThanOrEqual(100);
      expect(Object.keys(d.factors).sort()).toEqual(['error_patterns', 'processing_speed', 'success_rate']);
      expect(d.factors.success_rate).toBe(50); // 2 of 4 succeeded
      for (const v of Object.values(d.factors)) expect(v).toEqual(expect.any(Number));
      expect(d.recommendations.length).toBeGreaterThan(0);
      for (const r of d.recommendations) expect(typeof r).toBe('string');
      const healthy = dataOf(await curl(`/api/v1/batches/${batchId}/health`));
      expect(healthy.factors).toEqual({ success_rate: 100, processing_speed: 100, error_patterns: 100 });
      expect(healthy.health_score).toBe(100);
    });

    it('Analyze Batch Errors (curl …/analyze): total_errors, error_categories, top_errors[].error_type', async () => {
      const d = dataOf(await curl(`/api/v1/batches/${failing}/analyze`));
      expect(d.total_errors).toBe(2);
      expect(d.error_categories).toMatchObject({
        network_errors: 0,
        invalid_urls: 0,
        processing_errors: 0,
        http_errors: 2,
      });
      expect(d.top_errors[0]).toMatchObject({ error_type: 'http_404', count: 2, percentage: 100 });
      expect(d.recommendations.length).toBeGreaterThan(0);
      const clean = dataOf(await curl(`/api/v1/batches/${batchId}/analyze`));
      expect(clean).toMatchObject({ total_errors: 0, top_errors: [] });
    });

    it('Get Batch Chunks: chunk_number, url_count, processed/successful/failed counts, progress and timing; total_chunks', async () => {
      const d = dataOf(await curl(`/api/v1/batches/${failing}/chunks`));
      expect(d.batch_id).toBe(failing);
      expect(d.total_chunks).toBe(2);
      expect(d.chunks.map((c: Json) => c.chunk_number)).toEqual([1, 2]);
      for (const c of d.chunks) {
        expect(c).toEqual(
          expect.objectContaining({
            chunk_id: expect.stringMatching(UUID),
            status: 'completed',
            url_count: 2,
            processed_count: 2,
            progress_percentage: 100,
            started_at: expect.stringMatching(ISO),
            completed_at: expect.stringMatching(ISO),
          }),
        );
        expect(c.successful_count + c.failed_count).toBe(2);
        expect(c.processing_time_seconds).toEqual(expect.any(Number));
      }
      expect(d.chunks.reduce((n: number, c: Json) => n + c.failed_count, 0)).toBe(2);
    });
  });

  describe('the OpenAPI document', () => {
    it('declares every documented field of these routes in their response schemas', async () => {
      const doc = (await (await p.api('/api/v1/openapi.json')).json()) as Json;
      const resolve = (s: Json): Json => {
        if (s?.$ref) return resolve(doc.components.schemas[String(s.$ref).split('/').pop()!]);
        if (s?.allOf)
          return Object.assign({}, ...s.allOf.map(resolve), {
            properties: Object.assign({}, ...s.allOf.map((x: Json) => resolve(x).properties ?? {})),
          });
        return s;
      };
      const dataSchema = (method: string, path: string, status = '200') => {
        const op = doc.paths[path]?.[method];
        if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
        const schema = resolve(op.responses[status].content['application/json'].schema);
        return resolve(schema.properties?.data ?? schema);
      };
      const has = (s: Json, fields: string[]) =>
        expect(Object.keys(s.properties ?? {})).toEqual(expect.arrayContaining(fields));
      for (const path of ['/api/v1/batch/{id}', '/api/v1/batches/{id}', '/api/v1/batches/{id}/status']) {
        const s = dataSchema('get', path);
        has(s, ['batch_info', 'progress', 'timing', 'performance']);
        has(resolve(s.properties.batch_info), [
          'batch_id',
          'batch_name',
          'status',
          'total_urls',
          'chunk_size',
          'total_chunks',
          'is_active',
          'created_at',
          'started_at',
        ]);
        has(resolve(s.properties.progress), [
          'processed_count',
          'successful_count',
          'failed_count',
          'progress_percentage',
          'current_chunk',
          'total_chunks',
        ]);
        has(resolve(s.properties.timing), ['estimated_completion', 'elapsed_time_minutes']);
        has(resolve(s.properties.performance), ['processing_rate_per_minute', 'success_rate', 'average_time_per_url']);
      }
      has(dataSchema('get', '/api/v1/batches/{id}/progress'), [
        'batch_id',
        'status',
        'progress_percentage',
        'processed_count',
        'total_urls',
        'successful_count',
        'failed_count',
        'current_chunk',
        'total_chunks',
        'estimated_completion',
        'processing_rate_per_minute',
        'is_active',
      ]);
      has(dataSchema('get', '/api/v1/batches'), ['batches', 'count']);
      has(dataSchema('get', '/api/v1/batches/{id}/health'), ['health_score', 'factors', 'recommendations']);
      has(dataSchema('get', '/api/v1/batches/{id}/analyze'), [
        'total_errors',
        'error_categories',
        'top_errors',
        'recommendations',
      ]);
      const chunks = dataSchema('get', '/api/v1/batches/{id}/chunks');
      has(chunks, ['batch_id', 'chunks', 'total_chunks']);
      has(resolve(chunks.properties.chunks.items), [
        'chunk_id',
        'chunk_number',
        'status',
        'url_count',
        'processed_count',
        'successful_count',
        'failed_count',
        'progress_percentage',
        'started_at',
        'completed_at',
        'processing_time_seconds',
      ]);
      has(dataSchema('post', '/api/v1/batches', '202'), ['batch_id', 'batch_info']);
      for (const [action, flag] of [
        ['start', 'started'],
        ['pause', 'paused'],
        ['resume', 'resumed'],
        ['cancel', 'cancelled'],
        ['force-start', 'started'],
      ])
        has(dataSchema('post', `/api/v1/batches/{id}/${action}`), ['batch_id', flag!]);
    });
  });
});
