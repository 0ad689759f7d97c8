import { createHash } from 'node:crypto';
import pLimit, { type Limit } from 'p-limit';
import { runCheapAnalyses } from '@pixmill/analysis/cheap';
import { detectFaces, type FaceEngine } from '@pixmill/analysis/faces';
import type { ImageLifecycle, ImageOutcome } from '@pixmill/batch-state';
import type { Settings } from '@pixmill/config';
import {
  AnalysisRequest,
  isCheapKind,
  isSlowKind,
  type ImageFailureCode,
  outputKey,
  type AnalysisResult,
  type FacesResult,
  type ResizeImageJob,
  type SlowAnalysisKind,
} from '@pixmill/contracts';
import { ImageError, parseRecipe, processImage, type Recipe } from '@pixmill/imaging';
import type { Logger, PipelineMetrics } from '@pixmill/observability';
import type { JobContext } from '@pixmill/queue';
import { ObjectNotFoundError, ObjectTooLargeError, readObject, type ObjectStore } from '@pixmill/storage';

export type ResizeDeps = {
  /** Claims and finishes images (`imageLifecycle(prisma)`). */
  images: ImageLifecycle;
  store: Pick<ObjectStore, 'get' | 'put'>;
  log: Logger;
  settings: Pick<
    Settings,
    | 'MAX_INPUT_PIXELS'
    | 'RESIZE_TIMEOUT_MS'
    | 'RESIZE_CONCURRENCY'
    | 'MAX_FILE_BYTES'
    | 'QUEUE_MAX_ATTEMPTS'
    | 'ANALYSIS_BLUR_THRESHOLD'
    | 'ANALYSIS_TIMEOUT_MS'
  >;
  /** Face detection for `position: "faces"` variants, started on first use (a worker thread and ~100 MB). */
  faces?: () => Pick<FaceEngine, 'detect'>;
  /** Stage timings and bytes, images by outcome (`pipelineMetrics(registry)`). */
  metrics: Pick<PipelineMetrics, 'time' | 'bytes' | 'image'>;
};

/**
 * Runs the batch's recipe on one image and records the outputs. Bad images fail with a reason and the message is
 * acked; infrastructure errors throw so the queue retries, and on the last attempt the image fails rather than
 * staying `processing` forever.
 */
export const makeResizeImageHandler = (d: ResizeDeps) => {
  const slots: Slots = {
    // sharp is CPU-bound: at most RESIZE_CONCURRENCY images decode and encode at once, however many jobs are in flight.
    sharp: pLimit(d.settings.RESIZE_CONCURRENCY),
    // Originals held in memory: those in sharp and as many read ahead, so the next one is ready when a slot frees
    // (reading overlaps processing) without every job in flight holding its original. Each one held is megabytes
    // outside V8's heap, and V8 answers such external memory with full collections of the whole heap.
    input: pLimit(2 * d.settings.RESIZE_CONCURRENCY),
  };
  return (job: ResizeImageJob, ctx: JobContext) => handle(d, slots, job, ctx);
};

type Slots = { sharp: Limit; input: Limit };

type Rendered =
  | {
      ok: true;
      outputs: Awaited<ReturnType<typeof processImage>>['outputs'];
      contentHash: string;
      /** What the analyses run here found (undefined when the batch asked for none). */
      analysis?: AnalysisResult;
      /** Slow analyses still to run on analyze.image. */
      slow: SlowAnalysisKind[];
    }
  | { ok: false; outcome: ImageOutcome };

/** The batch's analyses: the cheap ones ride on this decode, the slow ones go to analyze.image afterwards. */
function analysisPlan(stored: unknown) {
  const asked = AnalysisRequest.safeParse(stored ?? false);
  const kinds = asked.success ? asked.data : [];
  return { kinds, cheap: kinds.filter(isCheapKind), slow: kinds.filter(isSlowKind) };
}

/**
 * A `faces` crop needs the faces before the variants are cut; found here, they are also the faces analysis (so the
 * analyze service does not look again). A failure leaves the crop to attention and is the analysis's error.
 */
async function facesForCrop(
  d: ResizeDeps,
  slots: Slots,
  input: Buffer,
  plan: ReturnType<typeof analysisPlan>,
  analysis: AnalysisResult,
): Promise<FacesResult | undefined> {
  if (!d.faces) return undefined;
  const engine = d.faces();
  const started = performance.now();
  try {
    const faces = await slots.sharp(() =>
      detectFaces(input, engine, {
        maxInputPixels: d.settings.MAX_INPUT_PIXELS,
        timeoutMs: d.settings.ANALYSIS_TIMEOUT_MS,
      }),
    );
    if (plan.kinds.includes('faces')) analysis.faces = faces;
    return faces;
  } catch (err) {
    if (err instanceof ImageError) throw err;
    d.log.warn({ err }, 'face detection for a faces crop failed');
    if (plan.kinds.includes('faces'))
      analysis.errors = { faces: { code: 'analysis_failed', message: (err as Error).message.slice(0, 500) } };
    return undefined;
  } finally {
    if (plan.kinds.includes('faces')) analysis.timings_ms = { faces: Math.round(performance.now() - started) };
  }
}

/** Reads the original and renders the recipe; a bad or missing original is an outcome, anything else throws. */
async function render(
  d: ResizeDeps,
  slots: Slots,
  key: string,
  recipe: Recipe,
  plan: ReturnType<typeof analysisPlan>,
): Promise<Rendered> {
  const m = d.metrics;
  const failed = (code: ImageFailureCode, message: string): Rendered => ({
    ok: false,
    outcome: { status: 'failed', code, message },
  });
  return slots.input(async () => {
    let input: Buffer;
    try {
      input = await m.time('storage_get', () => readObject(d.store, key, d.settings.MAX_FILE_BYTES));
      m.bytes('storage_get', input.length);
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        return failed('missing_original', 'the original image is gone from storage');
      if (err instanceof ObjectTooLargeError) return failed('too_large', err.message);
      throw err;
    }
    const contentHash = createHash('sha256').update(input).digest('hex');
    try {
      const analysis: AnalysisResult = {};
      const faces = recipe.variants.some((v) => v.position === 'faces')
        ? await facesForCrop(d, slots, input, plan, analysis)
        : undefined;
      const processed = await slots.sharp(() =>
        m.time('process', () =>
          processImage(input, recipe, {
            maxInputPixels: d.settings.MAX_INPUT_PIXELS,
            timeoutMs: d.settings.RESIZE_TIMEOUT_MS,
            sample: plan.cheap.length > 0,
            faces: faces?.boxes,
          }),
        ),
      );
      for (const o of processed.outputs) m.bytes('process', o.bytes);
      if (processed.sample) {
        const found = await m.time('analysis', () =>
          runCheapAnalyses(processed.sample!, plan.cheap, { blurThreshold: d.settings.ANALYSIS_BLUR_THRESHOLD }),
        );
        const errors = { ...analysis.errors, ...found.errors };
        Object.assign(analysis, found, { timings_ms: { ...analysis.timings_ms, ...found.timings_ms } });
        if (Object.keys(errors).length) analysis.errors = errors;
        else delete analysis.errors;
      }
      // faces found for a crop need not be looked for again
      const slow = analysis.faces || analysis.errors?.faces ? plan.slow.filter((k) => k !== 'faces') : plan.slow;
      return {
        ok: true,
        outputs: processed.outputs,
        contentHash,
        ...(plan.kinds.length > 0 && { analysis }),
        slow,
      };
    } catch (err) {
      if (err instanceof ImageError) return failed(err.code, err.message);
      throw err;
    }
  });
}

async function handle(d: ResizeDeps, slots: Slots, job: ResizeImageJob, ctx: JobContext): Promise<void> {
  const log = d.log.child({ batchId: job.batchId, imageId: job.imageId, attempt: ctx.attempt });
  const m = d.metrics;
  const claim = await m.time('db', () => d.images.claim(job.batchId, job.imageId));
  if (!claim.claimed) {
    log.debug({ reason: claim.reason }, 'image not taken');
    return;
  }
  const finish = async (outcome: ImageOutcome) => {
    const result = await m.time('db', () => d.images.finish(job.batchId, job.imageId, outcome));
    // Counted once: a redelivered message whose image already ended changes (and counts) nothing.
    if (result.counted) m.image(outcome.status === 'failed' ? { status: 'failed', code: outcome.code } : outcome);
    if (outcome.status === 'failed') log.info({ code: outcome.code, reason: outcome.message }, 'image failed');
    if (result.batchEnd) log.info({ status: result.batchEnd.status }, 'batch ended');
  };

  try {
    let recipe: Recipe;
    try {
      recipe = parseRecipe(claim.recipe);
    } catch (err) {
      return await finish({ status: 'failed', code: 'invalid_recipe', message: (err as Error).message });
    }
    const key = claim.originalKey;
    if (!key)
      return await finish({
        status: 'failed',
        code: 'missing_original',
        message: 'the original image was never stored',
      });

    const rendered = await render(d, slots, key, recipe, analysisPlan(claim.analysis));
    if (!rendered.ok) return await finish(rendered.outcome);

    // Deterministic keys: a redelivered message overwrites the same objects instead of adding new ones.
    const outputs = await Promise.all(
      rendered.outputs.map(async (o) => {
        const storageKey = outputKey(job.batchId, job.imageId, o.variant, o.extension);
        await m.time('storage_put', () =>
          d.store.put(storageKey, o.data, { contentType: o.contentType, contentLength: o.bytes }),
        );
        m.bytes('storage_put', o.bytes);
        return { variant: o.variant, storageKey, format: o.format, width: o.width, height: o.height, bytes: o.bytes };
      }),
    );
    await finish({
      status: 'succeeded',
      outputs,
      contentHash: rendered.contentHash,
      ...(rendered.analysis && { analysis: rendered.analysis, analyseLater: rendered.slow.length > 0 }),
    });
  } catch (err) {
    if (ctx.attempt < d.settings.QUEUE_MAX_ATTEMPTS) throw err;
    log.error({ err }, 'giving up on image after the last attempt');
    await finish({
      status: 'failed',
      code: 'internal_error',
      message: `processing failed ${ctx.attempt} times: ${(err as Error).message}`,
    });
  }
}
