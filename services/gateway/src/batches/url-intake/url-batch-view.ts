// How the API shows URL batches: the 202 answer of intake, chunks, and the short-form status of simpler clients.
import { z } from 'zod';
import { CHUNK_STATUSES } from '@pixmill/batch-state';
import type { Batch, Chunk } from '@pixmill/db';
import { batchProgress } from '../batch-view';
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
  };
}

export const ChunkView = z.object({
  chunk_id: z.uuid(),
  seq: z.number().int(),
  first_row: z.number().int(),
  row_count: z.number().int(),
  status: z.enum(CHUNK_STATUSES),
  images: z.number().int().describe('Image rows of the chunk; they exist once its worker has started it'),
  fetched: z.number().int(),
  failed: z.number().int(),
  worker: z.string().nullable(),
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().nullable(),
  completed_at: z.iso.datetime().nullable(),
  duration_ms: z.number().nullable(),
});

export function chunkView(c: Chunk, images: number) {
  const end = c.completedAt ?? (c.status === 'processing' ? new Date() : null);
  return {
    chunk_id: c.id,
    seq: c.seq,
    first_row: c.firstRow,
    row_count: c.rowCount,
    status: c.status,
    /** Image rows exist once the chunk's worker has started it. */
    images: images,
    fetched: c.fetched,
    failed: c.failed,
    worker: c.worker,
    created_at: c.createdAt.toISOString(),
    started_at: c.startedAt?.toISOString() ?? null,
    completed_at: c.completedAt?.toISOString() ?? null,
    duration_ms: c.startedAt && end ? Math.max(0, end.getTime() - c.startedAt.getTime()) : null,
  };
}

const shortStatus: Record<Batch['status'], string> = {
  pending: 'pending',
  queued: 'pending',
  processing: 'processing',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

export const ShortStatus = z.object({
  request_id: z.uuid(),
  requestId: z.uuid(),
  request_status: z.enum(['pending', 'processing', 'paused', 'completed', 'failed', 'cancelled']),
  status: z.enum(['pending', 'processing', 'paused', 'completed', 'failed', 'cancelled']),
  completion_percentage: z.number(),
  total_images: z.number().int(),
  processed_images: z.number().int(),
  successful_images: z.number().int(),
  failed_images: z.number().int(),
  webhook_status: z.string(),
  created_at: z.iso.datetime(),
  completed_at: z.iso.datetime().nullable(),
});

/** `GET /api/status/{id}` for clients of simpler services. */
export function shortStatusView(b: Batch, webhookStatus: string) {
  const status = shortStatus[b.status];
  return {
    request_id: b.id,
    requestId: b.id,
    request_status: status,
    status,
    completion_percentage: batchProgress(b),
    total_images: b.totalImages,
    processed_images: b.processedImages,
    successful_images: b.succeededImages,
    failed_images: b.failedImages,
    webhook_status: webhookStatus,
    created_at: b.createdAt.toISOString(),
    completed_at: b.completedAt?.toISOString() ?? null,
  };
}
