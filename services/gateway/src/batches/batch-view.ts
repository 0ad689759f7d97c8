// The API's view of a batch: counts, progress, timing and performance, in the field names clients rely on.
import type { Batch } from '@pixmill/db';
import type { WebhookStatus } from './webhook-status';

/** A batch as read, plus its `webhook_status` when the route looked it up (see webhook-status.ts). */
type BatchWithWebhook = Batch & { webhookStatus?: WebhookStatus };

const ACTIVE = new Set(['queued', 'processing']);

export function batchProgress(b: Pick<Batch, 'totalImages' | 'processedImages'>): number {
  if (b.totalImages === 0) return 0;
  return Math.round((b.processedImages / b.totalImages) * 1000) / 10;
}

export function batchSummary(b: BatchWithWebhook) {
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

export function batchDetail(b: BatchWithWebhook, now = new Date()) {
  const start = b.startedAt?.getTime();
  const end = (b.completedAt ?? now).getTime();
  const elapsedSeconds = start === undefined ? 0 : Math.max(0, (end - start) / 1000);
  const perSecond = elapsedSeconds > 0 ? b.processedImages / elapsedSeconds : 0;
  const remaining = b.totalImages - b.processedImages;
  const etaSeconds = ACTIVE.has(b.status) && perSecond > 0 ? remaining / perSecond : null;
  return {
    ...batchSummary(b),
    source: b.sourceKind,
    chunk_size: b.chunkSize,
    is_active: ACTIVE.has(b.status),
    webhook_url: b.webhookUrl,
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

const round = (n: number) => Math.round(n * 100) / 100;
