// How the API shows URL batches: the 202 answer of intake, chunks, and the short-form status of simpler clients.
import { z } from 'zod';
import { CHUNK_STATUSES } from '@pixmill/batch-state';
import { BatchStatus, type Batch, type Chunk } from '@pixmill/db';
import { batchProgress, CreatedBatchInfo, createdBatchInfo } from '../batch-view';
import type { WebhookStatus } from '../webhook-status';
import type { CsvIntakeResult } from './receive-csv';

export const CreatedUrlBatch = z.object({
  batch_id: z.uuid(),
  batch_name: z.string().nullable(),
  status: z.string(),
  source: z.enum(['csv', 'url_list']),
  total_images: z.number().int().describe('URLs in the input, each one image (repeated URLs are fetched once)'),
  distinct_urls: z.number().int(),
  total_rows: z.number().int(),
  total_chunks: z.number().int(),
  chunk_size: z.number().int(),
  created_at: z.iso.datetime(),
  webhook_secret: z.string().optional().describe('Signing secret of the webhooks of this batch; shown only here'),
  batch_info: CreatedBatchInfo,
});

export function createdUrlBatch(b: Batch, intake: CsvIntakeResult): z.input<typeof CreatedUrlBatch> {
  return {
    batch_id: b.id,
    batch_name: b.name,
    status: b.status,
    source: b.sourceKind === 'url_list' ? 'url_list' : 'csv',
    total_images: b.totalImages,
    distinct_urls: intake.distinctUrls,
    total_rows: intake.rows,
    total_chunks: intake.chunks.length,
    chunk_size: b.chunkSize,
    created_at: b.createdAt.toISOString(),
    batch_info: createdBatchInfo(b, intake.chunks.length),
  };
}

/** What a chunk's images have come to: counted per chunk in one grouped query (routes/url-batches.routes.ts). */
export type ChunkImages = { images: number; succeeded: number; failed: number; lastProcessedAt: Date | null };

export const ChunkView = z.object({
  chunk_id: z.uuid(),
  batch_id: z.uuid(),
  chunk_number: z.number().int().describe('1-based position in the input (the same as seq)'),
  seq: z.number().int(),
  first_row: z.number().int(),
  row_count: z.number().int(),
  status: z
    .enum(CHUNK_STATUSES)
    .describe('Of fetching its URLs: `completed` once every URL is fetched and handed on to resizing'),
  url_count: z.number().int().describe('URLs in its rows'),
  processed_count: z.number().int().describe('Its images finished, succeeded or failed (a failed fetch included)'),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  progress_percentage: z.number().describe('processed_count of url_count, in percent, one decimal'),
  images: z.number().int().describe('Image rows made so far (once its worker has started it)'),
  fetched: z.number().int(),
  failed: z.number().int().describe('URLs that could not be fetched'),
  worker: z.string().nullable(),
  worker_id: z.string().nullable().describe('The same as worker (seed 002 name)'),
  created_at: z.iso.datetime(),
  queued_at: z.iso.datetime().describe('The same as created_at (seed 002 name)'),
  started_at: z.iso.datetime().nullable(),
  completed_at: z.iso.datetime().nullable(),
  processing_time_seconds: z
    .number()
    .nullable()
    .describe('From its start to its last image finished (or now, while it runs); null before it starts'),
  duration_ms: z.number().int().nullable().describe('How long fetching its URLs took (so far)'),
});

export function chunkView(c: Chunk, img: ChunkImages, now = new Date()): z.output<typeof ChunkView> {
  const end = c.completedAt ?? (c.status === 'processing' ? now : null);
  const processed = img.succeeded + img.failed;
  const done = processed >= c.urlCount;
  // The chunk's work ends when its last image is processed, which is after its URLs are fetched.
  const lastEnd = done
    ? Math.max(end?.getTime() ?? 0, img.lastProcessedAt?.getTime() ?? 0)
    : c.startedAt
      ? now.getTime()
      : 0;
  return {
    chunk_id: c.id,
    batch_id: c.batchId,
    chunk_number: c.seq,
    seq: c.seq,
    first_row: c.firstRow,
    row_count: c.rowCount,
    status: c.status,
    url_count: c.urlCount,
    processed_count: processed,
    successful_count: img.succeeded,
    failed_count: img.failed,
    progress_percentage: c.urlCount > 0 ? Math.min(100, Math.round((processed / c.urlCount) * 1000) / 10) : 100,
    images: img.images,
    fetched: c.fetched,
    failed: c.failed,
    worker: c.worker,
    worker_id: c.worker,
    created_at: c.createdAt.toISOString(),
    queued_at: c.createdAt.toISOString(),
    started_at: c.startedAt?.toISOString() ?? null,
    completed_at: c.completedAt?.toISOString() ?? null,
    processing_time_seconds:
      c.startedAt && lastEnd ? Math.max(0, Math.round((lastEnd - c.startedAt.getTime()) / 100) / 10) : null,
    duration_ms: c.startedAt && end ? Math.max(0, end.getTime() - c.startedAt.getTime()) : null,
  };
}

/** The status values of the short-form documents; pixmill's own status rides beside them as `batch_status`. */
export const ShortStatusValue = z.enum(['pending', 'processing', 'completed', 'failed']);
type ShortStatusValue = z.infer<typeof ShortStatusValue>;

// A paused batch is still on its way (it resumes), so a client polling for an end keeps polling; a cancelled one
// ended without its results, which those clients know as `failed`.
const shortStatus = (b: Pick<Batch, 'status' | 'startedAt'>): ShortStatusValue => {
  switch (b.status) {
    case 'pending':
    case 'queued':
      return 'pending';
    case 'paused':
      return b.startedAt ? 'processing' : 'pending';
    case 'processing':
      return 'processing';
    case 'completed':
      return 'completed';
    case 'failed':
    case 'cancelled':
      return 'failed';
  }
};

/** `webhook_status` as the short-form documents define it: an event queued or being retried is not sent yet. */
export const ShortWebhookStatus = z.enum(['not_sent', 'sent', 'failed']);
const shortWebhookStatus = (s: WebhookStatus): z.infer<typeof ShortWebhookStatus> => (s === 'pending' ? 'not_sent' : s);

export const ShortStatus = z.object({
  request_id: z.uuid(),
  requestId: z.uuid(),
  request_status: ShortStatusValue.describe('The same as `status`'),
  status: ShortStatusValue,
  batch_status: z.enum(BatchStatus).describe("pixmill's own status of the batch (`paused`, `cancelled`, ...)"),
  completion_percentage: z.number().min(0).max(100),
  total_images: z.number().int(),
  processed_images: z.number().int(),
  successful_images: z.number().int(),
  failed_images: z.number().int(),
  webhook_status: ShortWebhookStatus,
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  completed_at: z.iso.datetime().nullable(),
});

/** `GET /api/status/{id}` for clients of simpler services. */
export function shortStatusView(b: Batch, webhookStatus: WebhookStatus): z.input<typeof ShortStatus> {
  const status = shortStatus(b);
  return {
    request_id: b.id,
    requestId: b.id,
    request_status: status,
    status,
    batch_status: b.status,
    completion_percentage: batchProgress(b),
    total_images: b.totalImages,
    processed_images: b.processedImages,
    successful_images: b.succeededImages,
    failed_images: b.failedImages,
    webhook_status: shortWebhookStatus(webhookStatus),
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
    completed_at: b.completedAt?.toISOString() ?? null,
  };
}
