// Ending an image: its status, its outputs, the batch counters, the batch's end and its webhook event change in one
// statement, guarded by the states they leave, so a redelivered message counts nothing twice and a batch ends once.
import { randomUUID } from 'node:crypto';
import type { ImageFailureCode } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import { OUTBOX_CHANNEL } from '@pixmill/queue';
import type { BatchEnd } from './end-batch';

export type OutputRecord = {
  variant: string;
  storageKey: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
};
export type ImageOutcome =
  | {
      status: 'succeeded';
      outputs: OutputRecord[];
      contentHash?: string;
      /** What the cheap analyses found (an AnalysisResult of @pixmill/contracts). */
      analysis?: object;
      /** The batch asked for slow analyses: queue `analyze.image`, and the batch waits for them to end. */
      analyseLater?: boolean;
    }
  | { status: 'failed'; code: ImageFailureCode; message: string };

export type FinishResult = { counted: boolean; batchEnd: BatchEnd | null };

type FinishRow = { counted: boolean; status: 'completed' | 'failed' | null; notified: number };

/**
 * Records how an image ended. One statement, so one round trip per image instead of the seven of a transaction
 * (the resize worker's main cost with small images), and atomic without a transaction:
 * - `ended_image` changes only an image still open (pending, fetching, processing): its row lock orders
 *   concurrent finishes of the same image, and the loser counts nothing;
 * - `before` locks the batch row and reads its state as it is now (FOR UPDATE waits for and sees concurrent
 *   commits), so `counted` knows whether this very statement ended the batch — RETURNING only sees new values;
 * - a batch ends (completed, or failed when nothing succeeded) from queued, processing or paused once every image is
 *   processed and none of its images' slow analyses is still to come; cancelled batches keep counting without
 *   ending again;
 * - an image whose batch asked for slow analyses gets its `analyze.image` job in the same statement, and the batch
 *   counts it as pending until finishAnalysis;
 * - the webhook event goes into the outbox in the same statement (its shape is the `notify.webhook` contract's; the
 *   tests parse it with that schema), and pg_notify wakes the relays on commit.
 */
export async function finishImage(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batchId: string,
  imageId: string,
  outcome: ImageOutcome,
): Promise<FinishResult> {
  const ok = outcome.status === 'succeeded';
  const outputs = ok
    ? outcome.outputs.map((o) => ({
        variant: o.variant,
        storage_key: o.storageKey,
        format: o.format,
        width: o.width,
        height: o.height,
        bytes: o.bytes,
      }))
    : [];
  const eventId = `evt_${randomUUID()}`;
  const analysis = ok && outcome.analysis ? JSON.stringify(outcome.analysis) : null;
  const later = ok && outcome.analyseLater === true;
  const pendingAdded = later ? 1 : 0;

  const [row] = await prisma.$queryRaw<FinishRow[]>`
    WITH ended_image AS (
      UPDATE images
         SET status = ${outcome.status}::"ImageStatus",
             processed_at = now(),
             error_code = ${ok ? null : outcome.code},
             error_message = ${ok ? null : outcome.message.slice(0, 1000)},
             content_hash = COALESCE(${ok ? (outcome.contentHash ?? null) : null}, content_hash),
             analysis = COALESCE(${analysis}::jsonb, analysis),
             analysis_status = (CASE WHEN ${later} THEN 'pending'
                                     WHEN ${analysis}::jsonb IS NOT NULL THEN 'done'
                                     ELSE analysis_status::text END)::"AnalysisStatus"
       WHERE id = ${imageId}::uuid AND batch_id = ${batchId}::uuid
         AND status IN ('pending', 'fetching', 'processing')
      RETURNING id
    ), saved_outputs AS (
      INSERT INTO outputs (id, image_id, variant, storage_key, format, width, height, bytes)
      SELECT gen_random_uuid(), e.id, o.variant, o.storage_key, o.format, o.width, o.height, o.bytes
        FROM ended_image e
       CROSS JOIN jsonb_to_recordset(${JSON.stringify(outputs)}::jsonb)
             AS o(variant text, storage_key text, format text, width int, height int, bytes int)
      ON CONFLICT (image_id, variant) DO UPDATE
         SET storage_key = EXCLUDED.storage_key, format = EXCLUDED.format, width = EXCLUDED.width,
             height = EXCLUDED.height, bytes = EXCLUDED.bytes
    ), analyze_job AS (
      INSERT INTO outbox_messages (queue, payload, message_id, available_at)
      SELECT 'analyze.image', jsonb_build_object('v', 1, 'batchId', ${batchId}::text, 'imageId', e.id::text),
             gen_random_uuid()::text, now()
        FROM ended_image e
       WHERE ${later}
      RETURNING 1
    ), before AS (
      SELECT id, status FROM batches
       WHERE id = ${batchId}::uuid AND EXISTS (SELECT 1 FROM ended_image)
         FOR UPDATE
    ), counted AS (
      UPDATE batches b
         SET processed_images = b.processed_images + 1,
             analyses_pending = b.analyses_pending + ${pendingAdded}::int,
             succeeded_images = b.succeeded_images + ${ok ? 1 : 0}::int,
             failed_images = b.failed_images + ${ok ? 0 : 1}::int,
             status = CASE
               WHEN b.status IN ('queued', 'processing', 'paused') AND b.processed_images + 1 >= b.total_images
                AND b.analyses_pending + ${pendingAdded}::int = 0
               THEN (CASE WHEN b.succeeded_images + ${ok ? 1 : 0}::int = 0 AND b.total_images > 0
                          THEN 'failed' ELSE 'completed' END)::"BatchStatus"
               ELSE b.status END,
             completed_at = CASE
               WHEN b.status IN ('queued', 'processing', 'paused') AND b.processed_images + 1 >= b.total_images
                AND b.analyses_pending + ${pendingAdded}::int = 0
               THEN now() ELSE b.completed_at END,
             updated_at = now()
        FROM before
       WHERE b.id = before.id
      RETURNING b.status::text AS status, before.status::text AS was, b.webhook_url, b.webhook_disabled
    ), ended_batch AS (
      SELECT status, webhook_url, webhook_disabled FROM counted
       WHERE status IN ('completed', 'failed') AND was IN ('queued', 'processing', 'paused')
    ), event AS (
      INSERT INTO outbox_messages (queue, payload, message_id, available_at)
      SELECT 'notify.webhook',
             jsonb_build_object('v', 1, 'batchId', ${batchId}::text, 'eventId', ${eventId}::text,
                                'event', 'batch.' || status, 'attempt', 1),
             ${eventId}, now()
        FROM ended_batch
       WHERE webhook_url IS NOT NULL AND NOT webhook_disabled
      RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM ended_image) AS counted,
           (SELECT status FROM ended_batch) AS status,
           (SELECT count(*) FROM (SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM event) AS wake)::int AS notified,
           (SELECT count(*) FROM (SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM analyze_job) AS wake)::int AS analyses`;
  if (!row?.counted) return { counted: false, batchEnd: null };
  if (!row.status) return { counted: true, batchEnd: null };
  return { counted: true, batchEnd: { status: row.status, eventId: row.notified > 0 ? eventId : null } };
}
