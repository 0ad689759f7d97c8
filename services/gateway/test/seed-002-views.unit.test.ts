// The views behind seed 002's batch routes, on rows built here: the numbers a running batch shows (rate, ETA,
// chunk progress, health factors, error categories), which an end-to-end run only sees once the batch is over.
import type { Batch, Chunk } from '@pixmill/db';
import { analyzeBatch, batchHealth, type BatchFailures } from '../src/batch-control/batch-insights';
import { BatchDetail, batchDetail, BatchProgress, batchProgressView, pollingInterval } from '../src/batches/batch-view';
import { chunkView, ChunkView } from '../src/batches/url-intake/url-batch-view';

const now = new Date('2025-11-02T10:45:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

/** The document's example batch: 1500 URLs in chunks of 1000, 750 done (720 good, 30 failed) in 15 minutes. */
const running = {
  id: '123e4567-e89b-12d3-a456-426614174000',
  ownerId: '00000000-0000-4000-8000-000000000001',
  name: 'My Image Analysis Batch',
  status: 'processing',
  sourceKind: 'csv',
  recipe: {},
  analysis: null,
  analysesPending: 0,
  sourceKey: null,
  sourceColumns: null,
  chunkSize: 1000,
  totalImages: 1500,
  processedImages: 750,
  succeededImages: 720,
  failedImages: 30,
  idempotencyKey: null,
  webhookUrl: null,
  webhookSecret: null,
  webhookDisabled: false,
  createdAt: minutesAgo(15.25),
  updatedAt: minutesAgo(0),
  startedAt: minutesAgo(15),
  completedAt: null,
  deletedAt: null,
  purgeAfter: null,
  clonedFromId: null,
} as Batch;

describe('batch detail (GET /batches/{id}, /batch/{id}, /batches/{id}/status)', () => {
  const d = batchDetail(running, { total: 2, current: 1 }, now);

  it('nests batch_info, progress, timing and performance as seed 002 shows them', () => {
    expect(BatchDetail.parse(d)).toBeTruthy();
    expect(d.batch_info).toEqual({
      batch_id: running.id,
      batch_name: 'My Image Analysis Batch',
      status: 'processing',
      total_urls: 1500,
      chunk_size: 1000,
      total_chunks: 2,
      is_active: true,
      created_at: running.createdAt.toISOString(),
      started_at: running.startedAt!.toISOString(),
      completed_at: null,
    });
    expect(d.progress).toEqual({
      processed_count: 750,
      successful_count: 720,
      failed_count: 30,
      progress_percentage: 50,
      current_chunk: 1,
      total_chunks: 2,
    });
    // 750 in 15 minutes: 50 a minute, 15 more minutes to go.
    expect(d.timing).toMatchObject({ elapsed_time_minutes: 15, estimated_completion: '2025-11-02T11:00:00.000Z' });
    expect(d.performance).toMatchObject({
      processing_rate_per_minute: 50,
      success_rate: 96,
      average_time_per_url: 1.2,
    });
  });

  it('keeps pixmill’s own fields beside them', () => {
    expect(d).toMatchObject({ total_images: 1500, processed_images: 750, progress_percentage: 50, is_active: true });
  });

  it('has no rate or ETA before the batch starts, and null chunk fields for uploaded images', () => {
    const pending = batchDetail(
      { ...running, status: 'pending', sourceKind: 'upload', startedAt: null, processedImages: 0 },
      { total: 0, current: null },
      now,
    );
    expect(pending.timing.estimated_completion).toBeNull();
    expect(pending.performance).toMatchObject({ processing_rate_per_minute: 0, average_time_per_url: null });
    expect(pending.batch_info).toMatchObject({ chunk_size: null, total_chunks: 0, is_active: false });
    expect(pending.progress.current_chunk).toBeNull();
  });
});

describe('batch progress (GET /batches/{id}/progress)', () => {
  it('answers every field of seed 002’s light progress', () => {
    const p = batchProgressView(running, { total: 2, current: 1 }, now);
    expect(BatchProgress.parse(p)).toBeTruthy();
    expect(p).toMatchObject({
      batch_id: running.id,
      status: 'processing',
      progress_percentage: 50,
      processed_count: 750,
      total_urls: 1500,
      successful_count: 720,
      failed_count: 30,
      current_chunk: 1,
      total_chunks: 2,
      estimated_completion: '2025-11-02T11:00:00.000Z',
      processing_rate_per_minute: 50,
      is_active: true,
    });
  });

  it('asks pollers to come back soon while a batch runs, and rarely once it waits or is over', () => {
    expect(Number(pollingInterval({ status: 'processing' }))).toBeLessThan(
      Number(pollingInterval({ status: 'completed' })),
    );
    for (const status of ['pending', 'paused', 'completed', 'failed', 'cancelled'] as const)
      expect(pollingInterval({ status })).toBe('30');
  });
});

describe('chunk view (GET /batches/{id}/chunks)', () => {
  const chunk = {
    id: '456e7890-e89b-12d3-a456-426614174001',
    batchId: running.id,
    seq: 1,
    firstRow: 1,
    rowCount: 1000,
    urlCount: 1000,
    status: 'completed',
    fetched: 1000,
    failed: 0,
    worker: 'ingest-1',
    createdAt: minutesAgo(15.25),
    startedAt: minutesAgo(14.75),
    completedAt: minutesAgo(10),
  } as Chunk;

  it('counts its images and times it from its start to its last image finished', () => {
    const v = chunkView(chunk, { images: 1000, succeeded: 950, failed: 50, lastProcessedAt: minutesAgo(0) }, now);
    expect(ChunkView.parse(v)).toBeTruthy();
    expect(v).toMatchObject({
      chunk_id: chunk.id,
      chunk_number: 1,
      status: 'completed',
      url_count: 1000,
      processed_count: 1000,
      successful_count: 950,
      failed_count: 50,
      progress_percentage: 100,
      processing_time_seconds: 885,
      worker_id: 'ingest-1',
    });
  });

  it('is partway while images of a fetched chunk are still being resized', () => {
    const v = chunkView(chunk, { images: 1000, succeeded: 300, failed: 0, lastProcessedAt: minutesAgo(1) }, now);
    expect(v.progress_percentage).toBe(30);
    expect(v.processing_time_seconds).toBe(885); // still running: until now
  });
});

describe('health and analysis', () => {
  const failures: BatchFailures = {
    groups: [
      { code: 'timeout', fetched: false, count: 15 },
      { code: 'invalid_url', fetched: false, count: 10 },
      { code: 'corrupt', fetched: true, count: 5 },
    ],
    top: [
      { code: 'timeout', message: 'timed out', count: 15, example: 'https://a.example/1.jpg' },
      { code: 'invalid_url', message: 'not a URL', count: 10, example: 'nope' },
      { code: 'corrupt', message: 'bad data', count: 5, example: 'https://a.example/2.jpg' },
    ],
    stuck: 0,
    lastActivity: now,
  };

  it('analyze: total_errors, error_categories under seed 002’s names, top_errors[].error_type', () => {
    const a = analyzeBatch(running, failures);
    expect(a.total_errors).toBe(30);
    expect(a.error_categories).toEqual({
      network_errors: 15,
      invalid_urls: 10,
      processing_errors: 5,
      http_errors: 0,
      blocked_urls: 0,
      not_an_image_errors: 0,
      too_large_errors: 0,
      other_errors: 0,
    });
    expect(a.top_errors[0]).toMatchObject({ error_type: 'timeout', count: 15, percentage: 50 });
  });

  it('health: factors out of 100 for success rate, speed and error patterns', () => {
    const h = batchHealth(running, failures, now);
    // One error is half the failures (systematic: -10) and some URLs are refused (-5).
    expect(h.factors).toEqual({ success_rate: 96.7, processing_speed: 100, error_patterns: 25 });
    expect(h.health_score).toBe(58 + 20 + 5);
  });
});
