// The API's view of a batch: counts, progress, timing and performance, in the field names clients rely on: seed 002's
// (`total_urls`, `processed_count`, `progress_percentage`, `batch_info`, `progress`, `timing`, `performance`) beside
// pixmill's own (`total_images`, `processed_images`, `progress`), which older clients and the dashboard read.
import { z } from 'zod';
import { BATCH_ACTIONS, BATCH_STATUSES, actionAllowed, type BatchAction } from '@pixmill/batch-state';
import type { Batch } from '@pixmill/db';
import type { ChunkProgress } from './chunk-progress';
import type { WebhookStatus } from './webhook-status';

/** A batch as read, plus its `webhook_status` when the route looked it up (see webhook-status.ts). */
type BatchWithWebhook = Batch & { webhookStatus?: WebhookStatus };

const isoOrNull = z.iso.datetime().nullable();
const numberOrNull = z.number().nullable();

export const BatchSummary = z.object({
  batch_id: z.uuid(),
  batch_name: z.string().nullable(),
  status: z.enum(BATCH_STATUSES),
  total_images: z.number().int(),
  total_urls: z
    .number()
    .int()
    .describe('Items of the batch (seed 002 name): its URLs, or its uploaded files; the same as total_images'),
  processed_images: z.number().int(),
  processed_count: z.number().int().describe('Items finished, succeeded or failed (seed 002 name of processed_images)'),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  progress: z.number().describe('Percent of images processed, one decimal'),
  progress_percentage: z.number().describe('Percent of items processed, one decimal (the same as progress)'),
  created_at: z.iso.datetime(),
  started_at: isoOrNull,
  completed_at: isoOrNull,
  webhook_status: z.enum(['not_sent', 'pending', 'sent', 'failed']).optional(),
});

/** Where a batch is: `GET /batches/{id}` (and `/batch/{id}`, `/batches/{id}/status`) as seed 002 nests it. */
const BatchInfo = z.object({
  batch_id: z.uuid(),
  batch_name: z.string().nullable(),
  status: z.enum(BATCH_STATUSES),
  total_urls: z.number().int(),
  chunk_size: z.number().int().nullable().describe('URLs per chunk of a URL batch; null for uploaded images'),
  total_chunks: z.number().int(),
  is_active: z.boolean().describe('Queued or processing: its workers take its items'),
  created_at: z.iso.datetime(),
  started_at: isoOrNull,
  completed_at: isoOrNull,
});
const ProgressInfo = z.object({
  processed_count: z.number().int(),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  progress_percentage: z.number(),
  current_chunk: z.number().int().nullable(),
  total_chunks: z.number().int(),
});

export const BatchDetail = BatchSummary.omit({ progress: true }).extend({
  batch_info: BatchInfo,
  progress: ProgressInfo.describe('Counts and percent done (pixmill’s percent number is progress_percentage here)'),
  source: z.enum(['upload', 'csv', 'url_list']),
  chunk_size: z
    .number()
    .int()
    .nullable()
    .describe('URLs per chunk of a URL batch; null for uploaded images, which are not split into chunks'),
  total_chunks: z.number().int().describe('Chunks of a URL batch; 0 for uploaded images'),
  current_chunk: z
    .number()
    .int()
    .nullable()
    .describe(
      '1-based number of the chunk being worked on: the lowest one not finished, or total_chunks once all are; ' +
        'null for uploaded images',
    ),
  is_active: z.boolean(),
  webhook_url: z.string().nullable(),
  deleted_at: isoOrNull,
  allowed_actions: z
    .array(z.enum(Object.keys(BATCH_ACTIONS) as [BatchAction, ...BatchAction[]]))
    .describe('The control actions the batch’s state allows now (`POST /batches/{id}/<action>`, `delete`)'),
  timing: z.object({
    elapsed_seconds: z.number(),
    elapsed_time_minutes: z.number(),
    eta_seconds: numberOrNull,
    estimated_completion: isoOrNull.describe('When the batch should end at its rate so far; null unless it runs'),
  }),
  performance: z.object({
    images_per_minute: z.number(),
    processing_rate_per_minute: z.number().describe('Items finished per minute since it started'),
    success_rate: numberOrNull.describe('Percent of processed images that succeeded'),
    average_time_per_image: numberOrNull.describe('Seconds'),
    average_time_per_url: numberOrNull.describe('Seconds of elapsed time per item processed (seed 002 name)'),
  }),
});

/** The light answer of `GET /batches/{id}/progress`, for frequent polling. */
export const BatchProgress = BatchSummary.extend({
  is_active: z
    .boolean()
    .describe('Queued or processing: poll again after X-Polling-Interval seconds; false: it is over or waits'),
  current_chunk: z.number().int().nullable(),
  total_chunks: z.number().int(),
  estimated_completion: isoOrNull,
  processing_rate_per_minute: z.number(),
});

const ACTIVE = new Set(['queued', 'processing']);

export function batchProgress(b: Pick<Batch, 'totalImages' | 'processedImages' | 'analysesPending'>): number {
  if (b.totalImages === 0) return 0;
  // An image whose slow analyses are still to come is not done yet.
  return Math.round(((b.processedImages - b.analysesPending) / b.totalImages) * 1000) / 10;
}

export function batchSummary(b: BatchWithWebhook): z.output<typeof BatchSummary> {
  return {
    batch_id: b.id,
    batch_name: b.name,
    status: b.status,
    total_images: b.totalImages,
    total_urls: b.totalImages,
    processed_images: b.processedImages,
    processed_count: b.processedImages,
    successful_count: b.succeededImages,
    failed_count: b.failedImages,
    progress: batchProgress(b),
    progress_percentage: batchProgress(b),
    created_at: b.createdAt.toISOString(),
    started_at: b.startedAt?.toISOString() ?? null,
    completed_at: b.completedAt?.toISOString() ?? null,
    ...(b.webhookStatus ? { webhook_status: b.webhookStatus } : {}),
  };
}

/** Elapsed time, rate and ETA of a batch (as of `now`). */
function pace(b: Batch, now: Date) {
  const start = b.startedAt?.getTime();
  const end = (b.completedAt ?? now).getTime();
  const elapsedSeconds = start === undefined ? 0 : Math.max(0, (end - start) / 1000);
  const perSecond = elapsedSeconds > 0 ? b.processedImages / elapsedSeconds : 0;
  const remaining = b.totalImages - b.processedImages;
  const etaSeconds = ACTIVE.has(b.status) && perSecond > 0 ? remaining / perSecond : null;
  return {
    elapsedSeconds,
    perMinute: round(perSecond * 60),
    etaSeconds,
    estimatedCompletion: etaSeconds === null ? null : new Date(now.getTime() + etaSeconds * 1000).toISOString(),
  };
}

export function batchProgressView(
  b: BatchWithWebhook,
  chunks: ChunkProgress,
  now = new Date(),
): z.output<typeof BatchProgress> {
  const p = pace(b, now);
  return {
    ...batchSummary(b),
    is_active: ACTIVE.has(b.status),
    current_chunk: chunks.current,
    total_chunks: chunks.total,
    estimated_completion: p.estimatedCompletion,
    processing_rate_per_minute: p.perMinute,
  };
}

export function batchDetail(
  b: BatchWithWebhook,
  chunks: ChunkProgress,
  now = new Date(),
): z.output<typeof BatchDetail> {
  const { progress, ...summary } = batchSummary(b);
  const p = pace(b, now);
  const chunkSize = chunks.total > 0 ? b.chunkSize : null;
  const perImage = b.processedImages ? round(p.elapsedSeconds / b.processedImages) : null;
  return {
    ...summary,
    batch_info: {
      batch_id: b.id,
      batch_name: b.name,
      status: b.status,
      total_urls: b.totalImages,
      chunk_size: chunkSize,
      total_chunks: chunks.total,
      is_active: ACTIVE.has(b.status),
      created_at: summary.created_at,
      started_at: summary.started_at,
      completed_at: summary.completed_at,
    },
    progress: {
      processed_count: b.processedImages,
      successful_count: b.succeededImages,
      failed_count: b.failedImages,
      progress_percentage: progress,
      current_chunk: chunks.current,
      total_chunks: chunks.total,
    },
    source: b.sourceKind,
    chunk_size: chunkSize,
    total_chunks: chunks.total,
    current_chunk: chunks.current,
    is_active: ACTIVE.has(b.status),
    webhook_url: b.webhookUrl,
    deleted_at: b.deletedAt?.toISOString() ?? null,
    allowed_actions: allowedActions(b),
    timing: {
      elapsed_seconds: round(p.elapsedSeconds),
      elapsed_time_minutes: round(p.elapsedSeconds / 60),
      eta_seconds: p.etaSeconds === null ? null : round(p.etaSeconds),
      estimated_completion: p.estimatedCompletion,
    },
    performance: {
      images_per_minute: p.perMinute,
      processing_rate_per_minute: p.perMinute,
      success_rate: b.processedImages ? round((b.succeededImages / b.processedImages) * 100) : null,
      average_time_per_image: perImage,
      average_time_per_url: perImage,
    },
  };
}

/** What may be done to the batch now: its state's actions; restore only once soft-deleted, soft-delete only before. */
export function allowedActions(b: Pick<Batch, 'status' | 'deletedAt'>): BatchAction[] {
  return (Object.keys(BATCH_ACTIONS) as BatchAction[]).filter((action) => {
    if (action === 'restore') return b.deletedAt !== null;
    if (action === 'soft-delete' && b.deletedAt !== null) return false;
    return actionAllowed(action, b.status);
  });
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The `batch_info` of a create answer (seed 002): what was made, and whether it started. */
export const CreatedBatchInfo = z.object({
  batch_name: z.string().nullable(),
  total_urls: z.number().int().describe('Items of the batch: URLs of a CSV or list, or uploaded files'),
  total_chunks: z.number().int().describe('Chunks of a URL batch; 0 for uploaded images'),
  status: z.enum(BATCH_STATUSES),
  auto_started: z.boolean().describe('Queued at once (auto_start, default true); otherwise pending until /start'),
});

export function createdBatchInfo(b: Batch, chunks: number): z.output<typeof CreatedBatchInfo> {
  return {
    batch_name: b.name,
    total_urls: b.totalImages,
    total_chunks: chunks,
    status: b.status,
    auto_started: b.status !== 'pending',
  };
}

export const POLLING_INTERVAL_HEADER = 'X-Polling-Interval';

/** Seconds a poller should wait: short while workers take the batch's items, long while it waits or is over. */
export const pollingInterval = (b: Pick<Batch, 'status'>): string => (ACTIVE.has(b.status) ? '2' : '30');
