import { randomUUID } from 'node:crypto';
import type { Prisma } from '@pixmill/db';
import { enqueue } from '@pixmill/queue';

export type BatchEnd = { status: 'completed' | 'failed'; eventId: string | null };

/**
 * Ends the batch when every image is processed and no image's analyses are still to come. The UPDATE is guarded by the states a batch ends from, so of two
 * transactions finishing the last images only one ends it (the row lock orders them), and the event is written to
 * the outbox in that same transaction. A batch whose every image failed ends `failed`; otherwise `completed`.
 */
export async function endBatchIfDone(tx: Prisma.TransactionClient, batchId: string): Promise<BatchEnd | null> {
  const rows = await tx.$queryRaw<
    { status: 'completed' | 'failed'; webhook_url: string | null; webhook_disabled: boolean }[]
  >`
    UPDATE batches
       SET status = (CASE WHEN succeeded_images = 0 AND total_images > 0 THEN 'failed' ELSE 'completed' END)::"BatchStatus",
           completed_at = now(), updated_at = now()
     WHERE id = ${batchId}::uuid
       AND status IN ('queued', 'processing', 'paused')
       AND processed_images >= total_images
       AND analyses_pending = 0
    RETURNING status::text AS status, webhook_url, webhook_disabled`;
  const ended = rows[0];
  if (!ended) return null;
  let eventId: string | null = null;
  if (ended.webhook_url && !ended.webhook_disabled) {
    eventId = `evt_${randomUUID()}`;
    await enqueue(tx, 'notify.webhook', {
      v: 1,
      batchId,
      eventId,
      event: ended.status === 'completed' ? 'batch.completed' : 'batch.failed',
      attempt: 1,
    });
  }
  return { status: ended.status, eventId };
}
