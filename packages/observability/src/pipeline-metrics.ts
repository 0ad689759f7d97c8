// Metrics of the image pipeline, defined once for every service that does the work (ingest, resize, notifier), so
// names, labels and buckets cannot drift between the services and the Grafana dashboard (infra/grafana/).
import { Counter, Histogram, type Registry } from 'prom-client';
import { metric } from './metrics';

export const PIPELINE_METRICS = {
  stageSeconds: 'pixmill_stage_duration_seconds',
  stageBytes: 'pixmill_stage_bytes',
  images: 'pixmill_images_total',
  webhookAttempts: 'pixmill_webhook_attempts_total',
  webhookSeconds: 'pixmill_webhook_attempt_seconds',
} as const;

/**
 * The stages one image goes through. `fetch`: downloading a source URL (ingest). `storage_get` / `storage_put`:
 * reading an original, writing an original or an output. `process`: decode + resize + encode of every variant (sharp).
 * `db`: the database work around one image (claim, read, record the outcome). `analysis`: the cheap analyses on the
 * resize worker's sample; `analyze`: the slow analyses (faces, text, describe) of one image on the analyze worker.
 */
export const STAGES = ['fetch', 'storage_get', 'process', 'storage_put', 'db', 'analysis', 'analyze'] as const;
export type Stage = (typeof STAGES)[number];

export type ImageOutcomeLabel = { status: 'succeeded' } | { status: 'failed'; code: string };
export type WebhookAttemptOutcome = 'succeeded' | 'retry' | 'failed' | 'disabled';

export type PipelineMetrics = {
  stageSeconds: Histogram<'stage' | 'outcome'>;
  stageBytes: Histogram<'stage'>;
  images: Counter<'outcome' | 'code'>;
  webhookAttempts: Counter<'outcome'>;
  webhookSeconds: Histogram;
  /** Runs `work` and records its duration under `stage`, with outcome `ok`, or `error` when it throws (rethrown). */
  time<T>(stage: Stage, work: () => Promise<T>): Promise<T>;
  /** Bytes a stage moved: fetched, read, encoded or written. */
  bytes(stage: Stage, n: number): void;
  /** One image ended (count it once: only when the database says this call ended it). */
  image(outcome: ImageOutcomeLabel): void;
  webhookAttempt(outcome: WebhookAttemptOutcome, durationMs: number): void;
};

// 1 ms .. 2 min: a DB round trip at the low end, a slow URL or an AVIF encode at the top.
const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
// 1 KiB .. 256 MiB, x4 steps.
const BYTES_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144].map((k) => k * 1024);
// Same buckets as the notifier's own definition, so either may register first.
const WEBHOOK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

/** The pipeline metrics of a registry, created on first use (several modules of one process share them). */
export function pipelineMetrics(registry: Registry): PipelineMetrics {
  const stageSeconds = metric(
    registry,
    PIPELINE_METRICS.stageSeconds,
    () =>
      new Histogram({
        name: PIPELINE_METRICS.stageSeconds,
        help: 'Duration of one pipeline stage for one image (fetch, storage_get, process, storage_put, db) by outcome.',
        labelNames: ['stage', 'outcome'] as const,
        buckets: SECONDS_BUCKETS,
        registers: [registry],
      }),
  ) as Histogram<'stage' | 'outcome'>;
  const stageBytes = metric(
    registry,
    PIPELINE_METRICS.stageBytes,
    () =>
      new Histogram({
        name: PIPELINE_METRICS.stageBytes,
        help: 'Bytes moved by one pipeline stage for one image or output.',
        labelNames: ['stage'] as const,
        buckets: BYTES_BUCKETS,
        registers: [registry],
      }),
  ) as Histogram<'stage'>;
  const images = metric(
    registry,
    PIPELINE_METRICS.images,
    () =>
      new Counter({
        name: PIPELINE_METRICS.images,
        help: 'Images ended, by outcome (succeeded, failed) and error code (none when succeeded).',
        labelNames: ['outcome', 'code'] as const,
        registers: [registry],
      }),
  ) as Counter<'outcome' | 'code'>;
  const webhookAttempts = metric(
    registry,
    PIPELINE_METRICS.webhookAttempts,
    () =>
      new Counter({
        name: PIPELINE_METRICS.webhookAttempts,
        help: 'Webhook delivery attempts by outcome',
        labelNames: ['outcome'] as const,
        registers: [registry],
      }),
  ) as Counter<'outcome'>;
  const webhookSeconds = metric(
    registry,
    PIPELINE_METRICS.webhookSeconds,
    () =>
      new Histogram({
        name: PIPELINE_METRICS.webhookSeconds,
        help: 'Duration of webhook delivery attempts',
        buckets: WEBHOOK_BUCKETS,
        registers: [registry],
      }),
  );

  return {
    stageSeconds,
    stageBytes,
    images,
    webhookAttempts,
    webhookSeconds,
    async time(stage, work) {
      const end = stageSeconds.startTimer({ stage });
      try {
        const result = await work();
        end({ outcome: 'ok' });
        return result;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    },
    bytes(stage, n) {
      if (Number.isFinite(n) && n >= 0) stageBytes.observe({ stage }, n);
    },
    image(outcome) {
      images.inc({ outcome: outcome.status, code: outcome.status === 'failed' ? outcome.code : 'none' });
    },
    webhookAttempt(outcome, durationMs) {
      webhookAttempts.inc({ outcome });
      webhookSeconds.observe(durationMs / 1000);
    },
  };
}
