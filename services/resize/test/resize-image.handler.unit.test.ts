// The resize handler's branches, driven with in-memory fakes of pixmill's own interfaces (the image lifecycle, the
// object store, the metrics) and real sharp on real image bytes: no database, broker or storage server.
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Claim, FinishResult, ImageLifecycle, ImageOutcome } from '@pixmill/batch-state';
import { loadSettings } from '@pixmill/config';
import { outputKey } from '@pixmill/contracts';
import type { FaceEngine } from '@pixmill/analysis/faces';
import { createLogger } from '@pixmill/observability';
import { ObjectNotFoundError, type ObjectStore } from '@pixmill/storage';
import { makeResizeImageHandler, type ResizeDeps } from '../src/handlers/resize-image.handler';

const BATCH = '00000000-0000-4000-8000-00000000000b';
const IMAGE = '00000000-0000-4000-8000-00000000000a';
const JOB = { v: 1 as const, batchId: BATCH, imageId: IMAGE };
const FIRST = { messageId: 'm-1', attempt: 1, redelivered: false };
const ORIGINAL = `originals/${BATCH}/${IMAGE}.png`;
const RECIPE = { variants: [{ name: 'thumb', width: 32, height: 32, fit: 'cover', format: 'webp' }] };

/** The image lifecycle in memory: one claim answer, and every outcome it was told. */
function fakeLifecycle(claim: Claim, result: FinishResult = { counted: true, batchEnd: null }) {
  const finished: ImageOutcome[] = [];
  const images: ImageLifecycle = {
    claim: async () => claim,
    finish: async (_b, _i, outcome) => {
      finished.push(outcome);
      return result;
    },
  };
  return { images, finished };
}

/** An object store in memory; `failPut` makes every write fail as a storage outage would. */
function fakeStore(objects: Record<string, Buffer> = {}, o: { failPut?: boolean } = {}) {
  const stored = new Map(Object.entries(objects));
  const store: Pick<ObjectStore, 'get' | 'put'> = {
    get: async (key) => {
      const body = stored.get(key);
      if (!body) throw new ObjectNotFoundError(key);
      return Readable.from([body]);
    },
    put: async (key, body) => {
      if (o.failPut) throw new Error('storage is down');
      const data = Buffer.isBuffer(body) ? body : Buffer.concat(await body.toArray());
      stored.set(key, data);
      return { bytes: data.length };
    },
  };
  return { store, stored };
}

function fakeMetrics() {
  const images: unknown[] = [];
  const metrics: ResizeDeps['metrics'] = {
    time: (_stage, work) => work(),
    bytes: () => undefined,
    image: (outcome) => void images.push(outcome),
  };
  return { metrics, images };
}

const settings = { ...loadSettings({}), QUEUE_MAX_ATTEMPTS: 3, MAX_FILE_BYTES: 2 * 1024 * 1024 };

function handlerWith(
  claim: Claim,
  o: { objects?: Record<string, Buffer>; failPut?: boolean; result?: FinishResult; faces?: ResizeDeps['faces'] } = {},
) {
  const life = fakeLifecycle(claim, o.result);
  const storage = fakeStore(o.objects, { failPut: o.failPut ?? false });
  const m = fakeMetrics();
  const handler = makeResizeImageHandler({
    images: life.images,
    store: storage.store,
    log: createLogger('resize-unit', 'silent'),
    settings,
    metrics: m.metrics,
    ...(o.faces ? { faces: o.faces } : {}),
  });
  return { handler, finished: life.finished, stored: storage.stored, counted: m.images };
}

const claimed = (over: Partial<Extract<Claim, { claimed: true }>> = {}): Claim => ({
  claimed: true,
  originalKey: ORIGINAL,
  recipe: RECIPE,
  analysis: false,
  ...over,
});

let png: Buffer;
beforeAll(async () => {
  // A real photograph-like image: a gradient with noise, 96 x 64.
  const raw = Buffer.alloc(96 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + ((i * 2654435761) >>> 24)) & 0xff;
  png = await sharp(raw, { raw: { width: 96, height: 64, channels: 3 } })
    .png()
    .toBuffer();
});

describe('resize handler', () => {
  it('does nothing with an image it could not claim (already ended, or its batch not running)', async () => {
    for (const reason of ['image_final', 'batch_not_running'] as const) {
      const h = handlerWith({ claimed: false, reason }, { objects: { [ORIGINAL]: png } });
      await h.handler(JOB, FIRST);
      expect(h.finished).toEqual([]);
      expect([...h.stored.keys()]).toEqual([ORIGINAL]);
    }
  });

  it('renders each variant to its deterministic key and records them with the content hash', async () => {
    const h = handlerWith(claimed(), { objects: { [ORIGINAL]: png } });
    await h.handler(JOB, FIRST);
    const key = outputKey(BATCH, IMAGE, 'thumb', 'webp');
    expect(await sharp(h.stored.get(key)!).metadata()).toMatchObject({ format: 'webp', width: 32, height: 32 });
    expect(h.finished).toEqual([
      {
        status: 'succeeded',
        outputs: [
          {
            variant: 'thumb',
            storageKey: key,
            format: 'webp',
            width: 32,
            height: 32,
            bytes: h.stored.get(key)!.length,
          },
        ],
        contentHash: createHash('sha256').update(png).digest('hex'),
      },
    ]);
    expect(h.counted).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('counts nothing when the lifecycle says another delivery already ended the image', async () => {
    const h = handlerWith(claimed(), { objects: { [ORIGINAL]: png }, result: { counted: false, batchEnd: null } });
    await h.handler(JOB, FIRST);
    expect(h.finished).toHaveLength(1);
    expect(h.counted).toEqual([]);
  });

  it('fails the image with invalid_recipe when the batch recipe does not parse', async () => {
    const h = handlerWith(claimed({ recipe: { variants: [] } }), { objects: { [ORIGINAL]: png } });
    await h.handler(JOB, FIRST);
    expect(h.finished).toEqual([{ status: 'failed', code: 'invalid_recipe', message: expect.any(String) }]);
    expect(h.counted).toEqual([{ status: 'failed', code: 'invalid_recipe' }]);
  });

  it('fails with missing_original when the original was never stored, or is gone from storage', async () => {
    const never = handlerWith(claimed({ originalKey: null }));
    await never.handler(JOB, FIRST);
    expect(never.finished).toEqual([
      { status: 'failed', code: 'missing_original', message: 'the original image was never stored' },
    ]);
    const gone = handlerWith(claimed());
    await gone.handler(JOB, FIRST);
    expect(gone.finished).toEqual([
      { status: 'failed', code: 'missing_original', message: 'the original image is gone from storage' },
    ]);
  });

  it('fails with too_large when the stored original is over MAX_FILE_BYTES', async () => {
    const h = handlerWith(claimed(), { objects: { [ORIGINAL]: Buffer.alloc(settings.MAX_FILE_BYTES + 1) } });
    await h.handler(JOB, FIRST);
    expect(h.finished).toEqual([
      { status: 'failed', code: 'too_large', message: expect.stringContaining('larger than') },
    ]);
  });

  it("fails with the imaging error's code when the original is not an image, or is truncated", async () => {
    const text = handlerWith(claimed(), { objects: { [ORIGINAL]: Buffer.from('hello, not an image') } });
    await text.handler(JOB, FIRST);
    expect(text.finished).toEqual([{ status: 'failed', code: 'not_an_image', message: expect.any(String) }]);
    const cut = handlerWith(claimed(), { objects: { [ORIGINAL]: png.subarray(0, Math.floor(png.length * 0.6)) } });
    await cut.handler(JOB, FIRST);
    expect(cut.finished).toEqual([
      { status: 'failed', code: expect.stringMatching(/^(truncated|corrupt)$/), message: expect.any(String) },
    ]);
  });

  it('throws on an infrastructure error so the queue retries, and fails the image on the last attempt', async () => {
    const early = handlerWith(claimed(), { objects: { [ORIGINAL]: png }, failPut: true });
    await expect(early.handler(JOB, { ...FIRST, attempt: 2 })).rejects.toThrow('storage is down');
    expect(early.finished).toEqual([]);
    const last = handlerWith(claimed(), { objects: { [ORIGINAL]: png }, failPut: true });
    await last.handler(JOB, { ...FIRST, attempt: 3 });
    expect(last.finished).toEqual([
      { status: 'failed', code: 'internal_error', message: 'processing failed 3 times: storage is down' },
    ]);
  });

  it('runs the cheap analyses on this decode and records them; slow ones are left for analyze.image', async () => {
    const cheap = handlerWith(claimed({ analysis: ['metadata', 'colours'] }), { objects: { [ORIGINAL]: png } });
    await cheap.handler(JOB, FIRST);
    const [done] = cheap.finished;
    expect(done).toMatchObject({ status: 'succeeded', analyseLater: false });
    const analysis = (done as { analysis: Record<string, unknown> }).analysis;
    expect(analysis).toHaveProperty('metadata');
    expect(analysis).toHaveProperty('colours');

    const slow = handlerWith(claimed({ analysis: ['text'] }), { objects: { [ORIGINAL]: png } });
    await slow.handler(JOB, FIRST);
    expect(slow.finished).toEqual([expect.objectContaining({ status: 'succeeded', analysis: {}, analyseLater: true })]);
  });

  it('a faces crop keeps the faces it found, and they are the faces analysis (not looked for again)', async () => {
    const recipe = {
      variants: [{ name: 'face', width: 24, height: 24, fit: 'cover', position: 'faces', format: 'jpeg' }],
    };
    const engine: Pick<FaceEngine, 'detect'> = {
      detect: async (px) => [{ x: 0, y: 0, width: px.width / 4, height: px.height / 4, score: 0.9 }],
    };
    const h = handlerWith(claimed({ recipe, analysis: ['faces', 'text'] }), {
      objects: { [ORIGINAL]: png },
      faces: () => engine,
    });
    await h.handler(JOB, FIRST);
    const [done] = h.finished;
    expect(done).toMatchObject({ status: 'succeeded', outputs: [{ variant: 'face', width: 24, height: 24 }] });
    const analysis = (done as { analysis: { faces?: { count: number } } }).analysis;
    expect(analysis.faces).toMatchObject({ count: 1 });
    // text is still to come; faces are not asked of analyze.image again.
    expect(done).toMatchObject({ analyseLater: true });
  });

  it('a faces crop whose detection fails still renders (as attention), and the faces analysis records the error', async () => {
    const recipe = {
      variants: [{ name: 'face', width: 24, height: 24, fit: 'cover', position: 'faces', format: 'jpeg' }],
    };
    const engine: Pick<FaceEngine, 'detect'> = {
      detect: async () => {
        throw new Error('the face model is unavailable');
      },
    };
    const h = handlerWith(claimed({ recipe, analysis: ['faces'] }), {
      objects: { [ORIGINAL]: png },
      faces: () => engine,
    });
    await h.handler(JOB, FIRST);
    const [done] = h.finished;
    expect(done).toMatchObject({
      status: 'succeeded',
      outputs: [{ variant: 'face', width: 24, height: 24, format: 'jpeg' }],
      analysis: { errors: { faces: { code: 'analysis_failed', message: 'the face model is unavailable' } } },
      // The faces were looked for here: analyze.image does not look again.
      analyseLater: false,
    });
  });
});
