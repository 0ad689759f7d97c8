// Ending an image: its status, its outputs, the batch counters, the batch's end and its webhook event change in one
// statement, guarded by the states they leave, so a redelivered message counts nothing twice and a batch ends once.
import { randomUUID } from 'node:crypto';
import type { ImageFailureCode } from '@pixmill/contracts';
import { Prisma, type PrismaClient } from '@pixmill/db';
import { outboxRowsSql } from '@pixmill/queue';
import { ENDED_SQL, endBatchSql, finishResult, type BatchEnd, type EndRow } from './batch-end';

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

/**
 * Records how an image ended. One statement, so one round trip per image (the resize worker's main cost with small
 * images), and atomic without a transaction:
 * - `ended_image` changes only an image still open (pending, fetching, processing): its row lock orders
 *   concurrent finishes of the same image, and the loser counts nothing;
 * - an image whose batch asked for slow analyses gets its `analyze.image` job in the same statement, and the batch
 *   counts it as pending until finishAnalysis;
 * - the batch's counters, its end and its webhook event follow (endBatchSql, batch-end.ts).
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

  const [row] = await prisma.$queryRaw<EndRow[]>`
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
      ${outboxRowsSql(
        'analyze.image',
        { v: Prisma.sql`1`, batchId: Prisma.sql`${batchId}::text`, imageId: Prisma.sql`e.id::text` },
        { from: Prisma.sql`FROM ended_image e WHERE ${later}` },
      )}
    ), ${endBatchSql(batchId, eventId, Prisma.sql`EXISTS (SELECT 1 FROM ended_image)`, {
      processed: 1,
      succeeded: ok ? 1 : 0,
      failed: ok ? 0 : 1,
      analysesPending: later ? 1 : 0,
    })}
    SELECT EXISTS (SELECT 1 FROM ended_image) AS counted, ${ENDED_SQL}`;
  return finishResult(row, eventId);
}
