// Runs an image's slow analyses (faces, text, describe) and records them; the image's resize already succeeded,
// so nothing here can fail it: an analysis that fails records its error on the image, and the batch still ends.
import pLimit, { type Limit } from 'p-limit';
import { runSlowAnalyses, type SlowAnalysisDeps } from '@pixmill/analysis';
import { claimAnalysis, finishAnalysis } from '@pixmill/batch-state';
import type { Settings } from '@pixmill/config';
import { AnalysisRequest, isSlowKind, type AnalysisResult, type AnalyzeImageJob } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import { ImageError } from '@pixmill/imaging';
import type { Logger, PipelineMetrics } from '@pixmill/observability';
import type { JobContext } from '@pixmill/queue';
import { ObjectNotFoundError, ObjectTooLargeError, readObject, type ObjectStore } from '@pixmill/storage';

export type AnalyzeDeps = {
  prisma: Pick<PrismaClient, '$queryRaw'>;
  store: Pick<ObjectStore, 'get'>;
  log: Logger;
  engines: Pick<SlowAnalysisDeps, 'faces' | 'ocr' | 'provider'>;
  settings: Pick<
    Settings,
    | 'MAX_INPUT_PIXELS'
    | 'MAX_FILE_BYTES'
    | 'QUEUE_MAX_ATTEMPTS'
    | 'ANALYSIS_TIMEOUT_MS'
    | 'ANALYSIS_MAX_TEXT_CHARS'
    | 'ANALYSIS_OCR_MAX_SIDE'
    | 'ANALYSIS_PHONE_REGION'
    | 'ANALYZE_CONCURRENCY'
  >;
  metrics: Pick<PipelineMetrics, 'time' | 'bytes'>;
};

/** The whole result as errors only: every asked kind failed for one reason. */
const failedAll = (kinds: readonly string[], code: string, message: string): AnalysisResult => ({
  errors: Object.fromEntries(kinds.map((k) => [k, { code, message: message.slice(0, 500) }])),
});

export const makeAnalyzeImageHandler = (d: AnalyzeDeps) => {
  // OCR and face detection each keep a core busy: at most ANALYZE_CONCURRENCY images at once.
  const slots = pLimit(d.settings.ANALYZE_CONCURRENCY);
  return (job: AnalyzeImageJob, ctx: JobContext) => handle(d, slots, job, ctx);
};

async function handle(d: AnalyzeDeps, slots: Limit, job: AnalyzeImageJob, ctx: JobContext): Promise<void> {
  const log = d.log.child({ batchId: job.batchId, imageId: job.imageId, attempt: ctx.attempt });
  const claim = await d.metrics.time('db', () => claimAnalysis(d.prisma, job.batchId, job.imageId));
  if (!claim.claimed) {
    log.debug('analysis not pending');
    return;
  }
  const asked = AnalysisRequest.safeParse(claim.analysis ?? false);
  const kinds = (asked.success ? asked.data : []).filter(isSlowKind);
  const finish = async (result: AnalysisResult) => {
    const r = await d.metrics.time('db', () => finishAnalysis(d.prisma, job.batchId, job.imageId, result));
    if (r.batchEnd) log.info({ status: r.batchEnd.status }, 'batch ended');
  };

  try {
    if (claim.cancelled) return await finish(failedAll(kinds, 'cancelled', 'the batch was cancelled'));
    if (!claim.originalKey) return await finish(failedAll(kinds, 'missing_original', 'the original was never stored'));
    let input: Buffer;
    try {
      input = await d.metrics.time('storage_get', () =>
        readObject(d.store, claim.originalKey!, d.settings.MAX_FILE_BYTES),
      );
    } catch (err) {
      if (err instanceof ObjectNotFoundError)
        return await finish(failedAll(kinds, 'missing_original', 'the original image is gone from storage'));
      if (err instanceof ObjectTooLargeError) return await finish(failedAll(kinds, 'too_large', err.message));
      throw err;
    }
    let result: AnalysisResult;
    try {
      result = await slots(() =>
        d.metrics.time('analyze', () =>
          runSlowAnalyses(input, claim.contentHash ?? '', kinds, {
            ...d.engines,
            limits: {
              maxInputPixels: d.settings.MAX_INPUT_PIXELS,
              timeoutMs: d.settings.ANALYSIS_TIMEOUT_MS,
              maxTextChars: d.settings.ANALYSIS_MAX_TEXT_CHARS,
              ocrMaxSide: d.settings.ANALYSIS_OCR_MAX_SIDE,
            },
            phoneRegion: d.settings.ANALYSIS_PHONE_REGION,
          }),
        ),
      );
    } catch (err) {
      if (err instanceof ImageError) return await finish(failedAll(kinds, err.code, err.message));
      throw err;
    }
    if (result.errors) log.info({ errors: result.errors }, 'some analyses failed');
    await finish(result);
  } catch (err) {
    if (ctx.attempt < d.settings.QUEUE_MAX_ATTEMPTS) throw err;
    log.error({ err }, 'giving up on the analyses after the last attempt');
    await finish(failedAll(kinds, 'internal_error', `analysis failed ${ctx.attempt} times: ${(err as Error).message}`));
  }
}
