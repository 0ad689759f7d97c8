// Seed 001 (resize, batch, progress) as its document's examples are written, with a bearer token added, against
// `pnpm start` on both configurations (embedded defaults; PostgreSQL + RabbitMQ + S3): every field it names, real
// images resized by sharp and downloaded from the URLs answered.
import sharp from 'sharp';
import { photo, truncatedJpeg } from './support/images';
import { curlForm, errorOf, notAnImage, until, UUID, type Part } from './support/seed-requests';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';

type Auth = { Authorization: string };
type Progress = { progress: number; job_id: string; kind: string; status: string; download_url?: string | null };
type ImageJob = {
  job_id: string;
  original_name: string;
  status: string;
  progress: number;
  download_url: string | null;
  error: string | null;
  error_code: string | null;
  progress_url: string;
};

describe.each(CONFIGURATIONS)('seed 001 on the %s configuration', (config) => {
  let p: Target;
  let alice: Auth;
  let bob: Auth;
  let myJpg: Buffer;

  beforeAll(async () => {
    p = await startTarget(config);
    alice = await p.userAuth('alice');
    bob = await p.userAuth('bob');
    myJpg = await photo(1200, 800, 'jpeg');
  }, 240_000);
  afterAll(() => p?.close());

  /** `curl -F ... http://host<path>`, with the bearer token added. */
  const curl = (path: string, parts: Part[], auth: Auth | null = alice) =>
    p.api(path, { method: 'POST', auth: auth ?? undefined, body: curlForm(parts) });
  const jpg = (file: string, data = myJpg): Part[1] => ({ file, data, type: 'image/jpeg' });

  /** `curl http://host/api/progress/<job_id>` */
  async function progressOf(jobId: string, auth = alice): Promise<Progress> {
    const res = await p.api(`/api/progress/${jobId}`, { auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Progress;
    expect(typeof body.progress).toBe('number');
    expect(body.progress).toBeGreaterThanOrEqual(0);
    expect(body.progress).toBeLessThanOrEqual(100);
    return body;
  }
  const finished = (jobId: string) =>
    until(
      () => progressOf(jobId),
      (b) => b.progress === 100,
    );

  async function imageAt(url: string) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes: bytes.length, ...(await sharp(bytes).metadata()) };
  }

  describe('single image resize', () => {
    it('answers curl -F image=@my.jpg -F width=400 -F quality=80 with job_id and download_url, and progress 100', async () => {
      const res = await curl('/api/resize', [
        ['image', jpg('my.jpg')],
        ['width', '400'],
        ['quality', '80'],
      ]);
      expect([200, 202]).toContain(res.status);
      const body = (await res.json()) as { job_id: string; download_url: string | null; status: string };
      expect(body.job_id).toMatch(UUID);
      // Poll progress: curl http://host/api/progress/<job_id>
      const done = await finished(body.job_id);
      expect(done).toMatchObject({ progress: 100, job_id: body.job_id, status: 'completed' });
      const url = res.status === 200 ? body.download_url : done.download_url;
      if (res.status === 200) expect(body).toMatchObject({ status: 'completed', progress: 100 });
      expect(url).toMatch(/^https?:\/\//);
      const out = await imageAt(url!);
      expect([out.width, out.height, out.format]).toEqual([400, 267, 'jpeg']);
    });

    it('keeps the result within max_size bytes, and takes max_bytes as the same option', async () => {
      for (const field of ['max_size', 'max_bytes']) {
        const res = await curl('/api/resize', [
          ['image', jpg('big.jpg')],
          ['width', '800'],
          [field, '30000'],
          ['wait', '30'],
        ]);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { download_url: string; output: { bytes: number } };
        const out = await imageAt(body.download_url);
        expect(out.bytes).toBeLessThanOrEqual(30000);
        expect([out.width, out.bytes]).toEqual([800, body.output.bytes]);
      }
      const both = await curl('/api/resize', [
        ['image', jpg('big.jpg')],
        ['max_size', '30000'],
        ['max_bytes', '40000'],
      ]);
      expect(await errorOf(both)).toMatchObject({ status: 400, code: 'conflicting_fields' });
    });

    it('compresses by quality', async () => {
      const sizes = [];
      for (const quality of ['30', '90']) {
        const res = await curl('/api/resize', [
          ['image', jpg('my.jpg')],
          ['width', '400'],
          ['quality', quality],
          ['wait', '30'],
        ]);
        expect(res.status).toBe(200);
        sizes.push((await imageAt(((await res.json()) as { download_url: string }).download_url)).bytes);
      }
      expect(sizes[0]).toBeLessThan(sizes[1]! * 0.7);
    });

    it('fits within width and height, or fills them with fit=cover', async () => {
      for (const [fit, size] of [
        [[], [300, 200]],
        [[['fit', 'cover']], [300, 300]],
      ] as [Part[], number[]][]) {
        const res = await curl('/api/resize', [
          ['image', jpg('my.jpg')],
          ['width', '300'],
          ['height', '300'],
          ...fit,
          ['wait', '30'],
        ]);
        expect(res.status).toBe(200);
        const out = await imageAt(((await res.json()) as { download_url: string }).download_url);
        expect([out.width, out.height]).toEqual(size);
      }
    });

    it('refuses a file that is not an image, naming it, and anonymous callers', async () => {
      const bad = await curl('/api/resize', [['image', { file: 'notes.jpg', data: notAnImage() }]]);
      const e = await errorOf(bad);
      expect(e).toMatchObject({ status: 400, code: 'unsupported_file_type' });
      expect(e.message).toContain('notes.jpg');
      const anon = await curl('/api/resize', [['image', jpg('my.jpg')]], null);
      expect(await errorOf(anon)).toMatchObject({ status: 401, code: 'unauthorized' });
    });

    it('reports an image that cannot be processed with its job', async () => {
      const res = await curl('/api/resize', [
        ['image', jpg('cut.jpg', await truncatedJpeg())],
        ['width', '400'],
        ['wait', '30'],
      ]);
      const e = await errorOf(res);
      expect(e.status).toBe(422);
      const { job_id } = e.details as { job_id: string };
      expect(await finished(job_id)).toMatchObject({ status: 'failed', error: expect.any(String) });
    });
  });

  describe('batch resize', () => {
    let body: {
      batch_job_id: string;
      job_id: string;
      experimental: boolean;
      status: string;
      total_images: number;
      image_jobs: ImageJob[];
    };
    let status: number;

    beforeAll(async () => {
      // curl -F "images[]=@img1.jpg" -F "images[]=@img2.jpg" -F "width=400" http://host/api/batch
      const res = await curl('/api/batch', [
        ['images[]', jpg('img1.jpg')],
        ['images[]', jpg('img2.jpg', await photo(600, 900, 'jpeg'))],
        ['width', '400'],
      ]);
      status = res.status;
      body = (await res.json()) as typeof body;
    }, 60_000);

    it('answers batch_job_id, the experimental marker and image_jobs with a job_id each', () => {
      expect([200, 202]).toContain(status);
      expect(body.batch_job_id).toMatch(UUID);
      expect(body.job_id).toBe(body.batch_job_id);
      expect(body.experimental).toBe(true);
      expect(body.total_images).toBe(2);
      expect(body.image_jobs.map((j) => j.original_name)).toEqual(['img1.jpg', 'img2.jpg']);
      for (const j of body.image_jobs) {
        expect(j.job_id).toMatch(UUID);
        expect(j.job_id).not.toBe(body.batch_job_id);
        expect(j.progress_url).toBe(`/api/progress/${j.job_id}`);
        if (status === 200)
          expect(j).toMatchObject({ status: 'completed', error: null, download_url: expect.any(String) });
      }
    });

    it('polls each image job and the batch job to 100, each image downloadable at width 400', async () => {
      // Poll each: curl http://host/api/progress/<job_id>
      const sizes = [];
      for (const j of body.image_jobs) {
        const done = await finished(j.job_id);
        expect(done).toMatchObject({ kind: 'image', status: 'completed', error: null });
        const out = await imageAt((status === 200 ? j.download_url : done.download_url)!);
        sizes.push([out.width, out.height]);
      }
      expect(sizes).toEqual([
        [400, 267],
        [400, 600],
      ]);
      expect(await finished(body.batch_job_id)).toMatchObject({ kind: 'batch', status: 'completed' });
    });

    it('reports a failed image by its error and the others by their download_url, each within max_size', async () => {
      const res = await curl('/api/batch', [
        ['images[]', jpg('good.jpg')],
        ['images[]', jpg('cut.jpg', await truncatedJpeg())],
        ['width', '200'],
        ['max_size', '8000'],
        ['wait', '30'],
      ]);
      expect(res.status).toBe(200);
      const b = (await res.json()) as typeof body;
      const [good, cut] = b.image_jobs;
      expect(good).toMatchObject({ status: 'completed', error: null, error_code: null, progress: 100 });
      const out = await imageAt(good!.download_url!);
      expect(out.width).toBe(200);
      expect(out.bytes).toBeLessThanOrEqual(8000);
      expect(cut).toMatchObject({ status: 'failed', download_url: null, progress: 100 });
      expect(cut!.error).toEqual(expect.any(String));
      expect(cut!.error_code).toEqual(expect.any(String));
    });

    it('refuses a batch with a file that is not an image, naming it', async () => {
      const res = await curl('/api/batch', [
        ['images[]', jpg('good.jpg')],
        ['images[]', { file: 'readme.txt', data: notAnImage(), type: 'text/plain' }],
      ]);
      const e = await errorOf(res);
      expect(e).toMatchObject({ status: 400, code: 'unsupported_file_type' });
      expect(e.message).toContain('readme.txt');
    });

    it("answers 404 for another user's job and for an unknown one", async () => {
      for (const id of [body.batch_job_id, body.image_jobs[0]!.job_id, '00000000-0000-4000-8000-000000000000', 'x']) {
        const res = await p.api(`/api/progress/${id}`, { auth: bob });
        expect(await errorOf(res)).toMatchObject({ status: 404, code: 'not_found' });
      }
    });
  });
});
