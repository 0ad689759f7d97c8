// Seed 000 (batch upload, batch status, batch images) as its document's examples are written, with a bearer token
// added, against `pnpm start` on both configurations (embedded defaults; PostgreSQL + RabbitMQ + S3): every field it
// names and every error it lists, real images through the real pipeline. Two of its paths are also seed 002's web
// pages (GET /batch/{id}, the form's POST /upload): content negotiation picks the page or the JSON.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { photo, truncatedJpeg } from './support/images';
import { curlForm, errorOf, ISO, notAnImage, until, UUID, type Part } from './support/seed-requests';
import { readData } from '@pixmill/gateway/testing';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';

type Auth = { Authorization: string };
type Batch = {
  batch_id: string;
  status: string;
  created_at: string;
  completed_at: string | null;
  total_images: number;
  processed_images: number;
  progress: number;
};
type Image = {
  id: string;
  original_name: string;
  status: string;
  error: string | null;
  created_at: string;
  processed_at: string | null;
  outputs: { download_url: string; width: number; height: number }[];
};

const MAX_FILES = 6;
const MAX_FILE_BYTES = 2_000_000;
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe.each(CONFIGURATIONS)('seed 000 on the %s configuration', (config) => {
  let p: Target;
  let alice: Auth;
  let bob: Auth;

  beforeAll(async () => {
    p = await startTarget(config, { MAX_FILES_PER_BATCH: String(MAX_FILES), MAX_FILE_BYTES: String(MAX_FILE_BYTES) });
    alice = await p.userAuth('alice');
    bob = await p.userAuth('bob');
  }, 240_000);
  afterAll(() => p?.close());

  const jpg = async (file: string, w = 800, h = 600): Promise<Part> => [
    'files[]',
    { file, data: await photo(w, h, 'jpeg'), type: 'image/jpeg' },
  ];
  const png = async (file: string, w = 500, h = 500): Promise<Part> => [
    'files[]',
    { file, data: await photo(w, h, 'png'), type: 'image/png' },
  ];
  const upload = (parts: Part[], auth: Auth | null = alice) =>
    p.api('/upload', { method: 'POST', auth: auth ?? undefined, body: curlForm(parts) });
  const getJson = async <T>(path: string, auth = alice): Promise<T> => {
    const res = await p.api(path, { auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as T;
  };

  describe('a batch of five images, uploaded, followed and listed', () => {
    let created: Record<string, unknown>;
    let batchId: string;
    let early: Batch;

    beforeAll(async () => {
      const res = await upload([
        await jpg('photo1.jpg'),
        await png('photo2.png'),
        await jpg('photo3.jpg', 640, 480),
        await png('photo4.png', 300, 200),
        await jpg('photo5.jpg', 1024, 768),
      ]);
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      created = (await res.json()) as Record<string, unknown>;
      batchId = String(created.batch_id);
      expect(res.headers.get('location')).toBe(`/batch/${batchId}`);
      early = await getJson<Batch>(`/batch/${batchId}`);
    }, 60_000);

    it('POST /upload answers batch_id, status "created", total_images and created_at', () => {
      expect(created).toMatchObject({ status: 'created', total_images: 5 });
      expect(created.batch_id).toMatch(UUID);
      expect(created.created_at).toMatch(ISO);
      expect(created).not.toHaveProperty('success');
    });

    it('GET /batch/{id} answers every field of the document, then progress 100 once done', async () => {
      expect(early).toMatchObject({ batch_id: batchId, total_images: 5, created_at: created.created_at });
      expect(['queued', 'processing', 'completed']).toContain(early.status);
      expect(early.progress).toBe((early.processed_images / 5) * 100);
      if (early.status !== 'completed') expect(early.completed_at).toBeNull();
      const done = await until(
        () => getJson<Batch>(`/batch/${batchId}`),
        (b) => b.status === 'completed',
      );
      expect(done).toMatchObject({ batch_id: batchId, status: 'completed', total_images: 5, processed_images: 5 });
      expect(done.progress).toBe(100);
      expect(done.completed_at).toMatch(ISO);
      expect(done.created_at).toBe(created.created_at);
    });

    it('GET /batch/{id}/images answers batch_id and each image, status "processed", with its fields', async () => {
      await p.waitForBatch(alice, batchId);
      const body = await getJson<{ batch_id: string; images: Image[] }>(`/batch/${batchId}/images`);
      expect(body.batch_id).toBe(batchId);
      expect(body.images.map((i) => i.original_name)).toEqual([
        'photo1.jpg',
        'photo2.png',
        'photo3.jpg',
        'photo4.png',
        'photo5.jpg',
      ]);
      for (const img of body.images) {
        expect(img.id).toMatch(UUID);
        expect(img).toMatchObject({ status: 'processed', error: null });
        expect(img.created_at).toMatch(ISO);
        expect(img.processed_at).toMatch(ISO);
        expect(Date.parse(img.processed_at!)).toBeGreaterThanOrEqual(Date.parse(img.created_at));
      }
      // The processed image is there to download.
      const out = body.images[0]!.outputs[0]!;
      const res = await fetch(out.download_url);
      expect(res.status).toBe(200);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([out.width, out.height]);
    });

    it("answers 404 Batch not found for an unknown batch and for another user's", async () => {
      for (const path of [
        `/batch/${batchId}`,
        `/batch/${batchId}/images`,
        '/batch/00000000-0000-4000-8000-000000000000',
        '/batch/00000000-0000-4000-8000-000000000000/images',
        '/batch/not-a-uuid',
      ]) {
        const res = await p.api(path, { auth: bob });
        expect(await errorOf(res)).toMatchObject({ status: 404, code: 'not_found' });
      }
    });
  });

  it('reports an image that failed with its error', async () => {
    const res = await upload([await jpg('fine.jpg'), ['files[]', { file: 'cut.jpg', data: await truncatedJpeg() }]]);
    expect(res.status).toBe(201);
    const { batch_id } = (await res.json()) as { batch_id: string };
    await p.waitForBatch(alice, batch_id);
    const { images } = await getJson<{ images: Image[] }>(`/batch/${batch_id}/images`);
    expect(images.map((i) => [i.original_name, i.status])).toEqual([
      ['fine.jpg', 'processed'],
      ['cut.jpg', 'failed'],
    ]);
    expect(images[1]!.error).toEqual(expect.any(String));
    expect(images[1]!.processed_at).toMatch(ISO);
  });

  it('answers 400 Invalid file type, naming the file, and stores nothing of the batch', async () => {
    const before = p.countObjects('originals/');
    const res = await upload([await jpg('ok.jpg'), ['files[]', { file: 'notes.jpg', data: notAnImage() }]]);
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 400, code: 'unsupported_file_type' });
    expect(e.message).toContain('notes.jpg');
    expect(p.countObjects('originals/')).toBe(before);
  });

  it('answers 413 Batch too large: too many files, or a file over the limit', async () => {
    const many = await upload(
      await Promise.all(Array.from({ length: MAX_FILES + 1 }, (_, i) => png(`p${i}.png`, 8, 8))),
    );
    expect(await errorOf(many)).toMatchObject({ status: 413, code: 'payload_too_large' });
    const big: Part = ['files[]', { file: 'huge.png', data: await photo(1200, 1000, 'png'), type: 'image/png' }];
    expect((big[1] as { data: Buffer }).data.length).toBeGreaterThan(MAX_FILE_BYTES);
    expect(await errorOf(await upload([big]))).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('requires authentication', async () => {
    expect(await errorOf(await upload([await jpg('a.jpg')], null))).toMatchObject({ status: 401 });
    const res = await p.api('/batch/00000000-0000-4000-8000-000000000000');
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  describe('content negotiation with the web pages of seed 002', () => {
    let cookie: string;
    let csrf: string;
    let batchId: string;

    beforeAll(async () => {
      const admin = await p.userAuth('admin');
      const username = `carol-${randomBytes(3).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const made = await p.api('/api/v1/users', {
        method: 'POST',
        auth: admin,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, role: 'user' }),
      });
      expect(made.status).toBe(201);
      const res = await p.api('/api/v1/auth/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect(res.status).toBe(201);
      cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
      csrf = (await readData<{ csrf_token: string }>(res)).csrf_token;
    }, 60_000);

    it('posts the browser form (session cookie, _csrf) to a redirect to the batch page', async () => {
      const res = await p.api(`/upload?_csrf=${encodeURIComponent(csrf)}`, {
        method: 'POST',
        headers: { Cookie: cookie, Accept: HTML },
        body: curlForm([await jpg('form.jpg'), ['batch_name', 'From the form']]),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      batchId = /^\/batch\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')![1]!;
      const page = await p.api(`/batch/${batchId}`, { headers: { Cookie: cookie, Accept: HTML } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toMatch(/^<!doctype html>/i);
    });

    it('answers the same session JSON when it asks for JSON', async () => {
      const res = await p.api('/upload', {
        method: 'POST',
        headers: { Cookie: cookie, Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: curlForm([await jpg('fetch.jpg')]),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ status: 'created', total_images: 1 });
      const batch = await p.api(`/batch/${batchId}`, { headers: { Cookie: cookie, Accept: 'application/json' } });
      expect(await batch.json()).toMatchObject({ batch_id: batchId, total_images: 1 });
    });

    it('sends a browser without a session to sign in, and answers a bearer client JSON', async () => {
      const page = await p.api(`/batch/${batchId}`, { headers: { Accept: HTML }, redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(`/batch/${batchId}`)}`);
      for (const accept of [undefined, 'application/json', '*/*']) {
        const res = await p.api(`/batch/${batchId}`, { auth: alice, headers: accept ? { Accept: accept } : {} });
        // Carol's batch is not Alice's: the JSON 404, not the page.
        expect(await errorOf(res)).toMatchObject({ status: 404 });
      }
    });

    it('answers a form post asking for HTML with a redirect: to the batch page, or to sign in first', async () => {
      const form = async () => curlForm([await jpg('html.jpg')]);
      const res = await p.api('/upload', {
        method: 'POST',
        auth: alice,
        headers: { Accept: HTML },
        body: await form(),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      const id = /^\/batch\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')![1]!;
      expect(await getJson<Batch>(`/batch/${id}`)).toMatchObject({ batch_id: id, total_images: 1 });
      const anon = await p.api('/upload', {
        method: 'POST',
        headers: { Accept: HTML },
        body: await form(),
        redirect: 'manual',
      });
      expect(anon.status).toBe(303);
      expect(anon.headers.get('location')).toBe('/signin?next=%2Fnew');
    });

    it("shows a page's 404 for a batch that is not the browser's", async () => {
      const { batch_id } = (await (await upload([await jpg('alice.jpg')])).json()) as { batch_id: string };
      const page = await p.api(`/batch/${batch_id}`, { headers: { Cookie: cookie, Accept: HTML } });
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    });
  });
});
