// Claiming and ending the slow analyses of an image (analyze.image). Like finishImage, one statement each, guarded
// by the state it leaves: a redelivered job finds the analysis done and changes nothing; the batch ends once.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@pixmill/db';
import { OUTBOX_CHANNEL } from '@pixmill/queue';
import type { BatchEnd } from './end-batch';

export type AnalysisClaim =
  | {
      claimed: true;
      originalKey: string | null;
      contentHash: string | null;
      /** The batch's analysis list, as stored. */
      analysis: unknown;
      /** The batch was cancelled meanwhile: end the analysis without doing it. */
      cancelled: boolean;
    }
  | { claimed: false };

type ClaimRow = {
  original_key: string | null;
  content_hash: string | null;
  analysis: unknown;
  batch_status: string;
};

/** The image and batch facts the analyze worker needs, while the analysis is still pending (else `claimed: false`). */
export async function claimAnalysis(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batchId: string,
  imageId: string,
): Promise<AnalysisClaim> {
  const [row] = await prisma.$queryRaw<ClaimRow[]>`
    SELECT i.original_key, i.content_hash, b.analysis, b.status::text AS batch_status
      FROM images i JOIN batches b ON b.id = i.batch_id
     WHERE i.id = ${imageId}::uuid AND i.batch_id = ${batchId}::uuid AND i.analysis_status = 'pending'`;
  if (!row) return { claimed: false };
  return {
    claimed: true,
    originalKey: row.original_key,
    contentHash: row.content_hash,
    analysis: row.analysis,
    cancelled: row.batch_status === 'cancelled',
  };
}

type FinishRow = { counted: boolean; status: 'completed' | 'failed' | null; notified: number };

/**
 * Merges the slow analyses' result (an AnalysisResult: their fields, `errors` and `timings_ms` joined to what the
 * resize worker stored), marks the analysis done, counts it off the batch and ends the batch when it was the last
 * thing open, with its webhook event in the outbox — all in one statement.
 */
export async function finishAnalysis(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batchId: string,
  imageId: string,
  result: { errors?: object; timings_ms?: object } & object,
): Promise<{ counted: boolean; batchEnd: BatchEnd | null }> {
  const eventId = `evt_${randomUUID()}`;
  const [row] = await prisma.$queryRaw<FinishRow[]>`
    WITH input AS (SELECT ${JSON.stringify(result)}::jsonb AS r
    ), done AS (
      UPDATE images i
         SET analysis = COALESCE(i.analysis, '{}'::jsonb) || (input.r - 'errors' - 'timings_ms')
                        || jsonb_strip_nulls(jsonb_build_object(
                             'errors', NULLIF(COALESCE(i.analysis -> 'errors', '{}'::jsonb)
                                              || COALESCE(input.r -> 'errors', '{}'::jsonb), '{}'::jsonb),
                             'timings_ms', COALESCE(i.analysis -> 'timings_ms', '{}'::jsonb)
                                           || COALESCE(input.r -> 'timings_ms', '{}'::jsonb))),
             analysis_status = 'done',
             has_contact = COALESCE(jsonb_array_length(input.r #> '{text,business_contact,emails}'), 0)
                         + COALESCE(jsonb_array_length(input.r #> '{text,business_contact,phones}'), 0)
                         + COALESCE(jsonb_array_length(input.r #> '{text,business_contact,urls}'), 0) > 0,
             has_store_name = COALESCE(input.r #>> '{describe,store_name}', '') <> ''
        FROM input
       WHERE i.id = ${imageId}::uuid AND i.batch_id = ${batchId}::uuid AND i.analysis_status = 'pending'
      RETURNING i.id
    ), before AS (
      SELECT id, status FROM batches
       WHERE id = ${batchId}::uuid AND EXISTS (SELECT 1 FROM done)
         FOR UPDATE
    ), counted AS (
      UPDATE batches b
         SET analyses_pending = GREATEST(b.analyses_pending - 1, 0),
             status = CASE
               WHEN b.status IN ('queued', 'processing', 'paused') AND b.processed_images >= b.total_images
                AND b.analyses_pending - 1 <= 0
               THEN (CASE WHEN b.succeeded_images = 0 AND b.total_images > 0 THEN 'failed' ELSE 'completed' END)::"BatchStatus"
               ELSE b.status END,
             completed_at = CASE
               WHEN b.status IN ('queued', 'processing', 'paused') AND b.processed_images >= b.total_images
                AND b.analyses_pending - 1 <= 0
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
    SELECT EXISTS (SELECT 1 FROM done) AS counted,
           (SELECT status FROM ended_batch) AS status,
           (SELECT count(*) FROM (SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM event) AS wake)::int AS notified`;
  if (!row?.counted) return { counted: false, batchEnd: null };
  if (!row.status) return { counted: true, batchEnd: null };
  return { counted: true, batchEnd: { status: row.status, eventId: row.notified > 0 ? eventId : null } };
}
