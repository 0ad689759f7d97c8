// The API's view of a batch: counts, progress, timing and performance, in the field names clients rely on.
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
  processed_images: z.number().int(),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  progress: z.number().describe('Percent of images processed, one decimal'),
  created_at: z.iso.datetime(),
  started_at: isoOrNull,
  completed_at: isoOrNull,
  webhook_status: z.enum(['not_sent', 'pending', 'sent', 'failed']).optional(),
});

export const BatchDetail = BatchSummary.extend({
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
    estimated_completion: isoOrNull,
  }),
  performance: z.object({
    images_per_minute: z.number(),
    processing_rate_per_minute: z.number(),
    success_rate: numberOrNull.describe('Percent of processed images that succeeded'),
    average_time_per_image: numberOrNull.describe('Seconds'),
  }),
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
    processed_images: b.processedImages,
    successful_count: b.succeededImages,
    failed_count: b.failedImages,
    progress: batchProgress(b),
    created_at: b.createdAt.toISOString(),
    started_at: b.startedAt?.toISOString() ?? null,
    completed_at: b.completedAt?.toISOString() ?? null,
    ...(b.webhookStatus ? { webhook_status: b.webhookStatus } : {}),
  };
}

export function batchDetail(
  b: BatchWithWebhook,
  chunks: ChunkProgress,
  now = new Date(),
): z.output<typeof BatchDetail> {
  const start = b.startedAt?.getTime();
  const end = (b.completedAt ?? now).getTime();
  const elapsedSeconds = start === undefined ? 0 : Math.max(0, (end - start) / 1000);
  const perSecond = elapsedSeconds > 0 ? b.processedImages / elapsedSeconds : 0;
  const remaining = b.totalImages - b.processedImages;
  const etaSeconds = ACTIVE.has(b.status) && perSecond > 0 ? remaining / perSecond : null;
  return {
    ...batchSummary(b),
    source: b.sourceKind,
    chunk_size: chunks.total > 0 ? b.chunkSize : null,
    total_chunks: chunks.total,
    current_chunk: chunks.current,
    is_active: ACTIVE.has(b.status),
    webhook_url: b.webhookUrl,
    deleted_at: b.deletedAt?.toISOString() ?? null,
    allowed_actions: allowedActions(b),
    timing: {
      elapsed_seconds: round(elapsedSeconds),
      elapsed_time_minutes: round(elapsedSeconds / 60),
      eta_seconds: etaSeconds === null ? null : round(etaSeconds),
      estimated_completion: etaSeconds === null ? null : new Date(now.getTime() + etaSeconds * 1000).toISOString(),
    },
    performance: {
      images_per_minute: round(perSecond * 60),
      processing_rate_per_minute: round(perSecond * 60),
      success_rate: b.processedImages ? round((b.succeededImages / b.processedImages) * 100) : null,
      average_time_per_image: b.processedImages ? round(elapsedSeconds / b.processedImages) : null,
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
