// Claiming and ending the slow analyses of an image (analyze.image). Like finishImage, one statement each, guarded
// by the state it leaves: a redelivered job finds the analysis done and changes nothing; the batch ends once.
import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '@pixmill/db';
import { ENDED_SQL, endBatchSql, finishResult, type BatchEnd, type EndRow } from './batch-end';

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
  const [row] = await prisma.$queryRaw<EndRow[]>`
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
    ), ${endBatchSql(batchId, eventId, Prisma.sql`EXISTS (SELECT 1 FROM done)`, {
      processed: 0,
      succeeded: 0,
      failed: 0,
      analysesPending: -1,
    })}
    SELECT EXISTS (SELECT 1 FROM done) AS counted, ${ENDED_SQL}`;
  return finishResult(row, eventId);
}
