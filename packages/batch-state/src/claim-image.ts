import type { PrismaClient } from '@pixmill/db';

/** A claimed image comes with what processing it needs, read in the same statement. */
export type Claim =
  | { claimed: true; originalKey: string | null; recipe: unknown; analysis: unknown }
  | { claimed: false; reason: 'image_final' | 'batch_not_running' };

type ClaimRow = { running: boolean; claimed: boolean; original_key: string | null; recipe: unknown; analysis: unknown };

/**
 * Takes an image for processing: only while its batch runs (not pending, paused, cancelled or ended) and only
 * while the image is not final. A redelivered message for a finished image gets `image_final` and is acked.
 *
 * One statement, one round trip: this runs once per image, and with small images the worker's time went to the
 * five round trips of the transaction it replaced. A data-modifying CTE runs to completion even when the outer
 * query does not read it (`started`), and the image's row lock is taken before the batch's, as in finishImage.
 */
export async function claimImage(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batchId: string,
  imageId: string,
): Promise<Claim> {
  const [row] = await prisma.$queryRaw<ClaimRow[]>`
    WITH running AS (
      SELECT recipe, analysis FROM batches WHERE id = ${batchId}::uuid AND status IN ('queued', 'processing')
    ), claimed AS (
      UPDATE images SET status = 'processing', started_at = now(), attempts = attempts + 1
       WHERE id = ${imageId}::uuid AND batch_id = ${batchId}::uuid AND status IN ('pending', 'processing')
         AND EXISTS (SELECT 1 FROM running)
      RETURNING original_key
    ), started AS (
      UPDATE batches SET status = 'processing', started_at = now(), updated_at = now()
       WHERE id = ${batchId}::uuid AND status = 'queued' AND EXISTS (SELECT 1 FROM claimed)
    )
    SELECT EXISTS (SELECT 1 FROM running) AS running,
           EXISTS (SELECT 1 FROM claimed) AS claimed,
           (SELECT original_key FROM claimed) AS original_key,
           (SELECT recipe FROM running) AS recipe,
           (SELECT analysis FROM running) AS analysis`;
  if (!row?.running) return { claimed: false, reason: 'batch_not_running' };
  if (!row.claimed) return { claimed: false, reason: 'image_final' };
  return { claimed: true, originalKey: row.original_key, recipe: row.recipe, analysis: row.analysis };
}
