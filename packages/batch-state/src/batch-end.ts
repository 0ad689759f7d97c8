// When a batch ends: the one rule, the statement fragment that applies it as the counters change, and cancel, the end
// that does not wait. A batch ends (completed, or failed when nothing succeeded) from queued, processing or paused
// once every image is processed and none of its images' slow analyses is still to come; a cancelled batch keeps
// counting without ending again. Every end writes its webhook event here, through the one outbox writer.
import { randomUUID } from 'node:crypto';
import { Prisma, type BatchStatus } from '@pixmill/db';
import { outboxRowsSql } from '@pixmill/queue';
import { BATCH_ACTIONS } from './batch-state-error';

export type BatchEnd = { status: 'completed' | 'failed'; eventId: string | null };

/** The states a batch ends from. */
export const ENDS_FROM = ['queued', 'processing', 'paused'] as const satisfies readonly BatchStatus[];

export type BatchCounters = { total: number; processed: number; succeeded: number; analysesPending: number };

/** How a batch with these counters ends, or null while something is open (the same rule as endBatchSql's). */
export function endStatusOf(c: BatchCounters): BatchEnd['status'] | null {
  if (c.processed < c.total || c.analysesPending > 0) return null;
  return c.succeeded === 0 && c.total > 0 ? 'failed' : 'completed';
}

/** What one statement adds to the batch's counters. */
export type CounterChange = { processed: 0 | 1; succeeded: 0 | 1; failed: 0 | 1; analysesPending: -1 | 0 | 1 };

/**
 * CTEs `before`, `counted`, `ended_batch` and `event` for a statement that counts something off batch `batchId`,
 * to follow the statement's own CTEs; `guard` says whether it changed anything (else the batch is not touched).
 * - `before` locks the batch row and reads its state as it is now (FOR UPDATE waits for and sees concurrent
 *   commits), so the statement knows whether it ended the batch itself — RETURNING only sees new values;
 * - `counted` applies the change, and the end rule to the counters it leaves;
 * - `ended_batch` is the batch's end state when this statement ended it, `event` its webhook event in the outbox
 *   (`eventId`), when it has a webhook.
 */
export function endBatchSql(batchId: string, eventId: string, guard: Prisma.Sql, d: CounterChange): Prisma.Sql {
  const processed = Prisma.sql`b.processed_images + ${d.processed}::int`;
  const succeeded = Prisma.sql`b.succeeded_images + ${d.succeeded}::int`;
  const pending = Prisma.sql`GREATEST(b.analyses_pending + ${d.analysesPending}::int, 0)`;
  const ends = Prisma.sql`b.status = ANY(${ENDS_FROM}::"BatchStatus"[]) AND ${processed} >= b.total_images AND ${pending} = 0`;
  return Prisma.sql`
    before AS (
      SELECT id, status FROM batches WHERE id = ${batchId}::uuid AND ${guard} FOR UPDATE
    ), counted AS (
      UPDATE batches b
         SET processed_images = ${processed},
             succeeded_images = ${succeeded},
             failed_images = b.failed_images + ${d.failed}::int,
             analyses_pending = ${pending},
             status = CASE WHEN ${ends}
               THEN (CASE WHEN ${succeeded} = 0 AND b.total_images > 0 THEN 'failed' ELSE 'completed' END)::"BatchStatus"
               ELSE b.status END,
             completed_at = CASE WHEN ${ends} THEN now() ELSE b.completed_at END,
             updated_at = now()
        FROM before
       WHERE b.id = before.id
      RETURNING b.status::text AS status, before.status::text AS was, b.webhook_url, b.webhook_disabled
    ), ended_batch AS (
      SELECT status, webhook_url, webhook_disabled FROM counted
       WHERE status IN ('completed', 'failed') AND was = ANY(${ENDS_FROM}::text[])
    ), event AS (${batchEventSql(batchId, eventId)})`;
}

/** The webhook event of the batch CTE `ended_batch` (status, webhook_url, webhook_disabled) ended, in the outbox. */
function batchEventSql(batchId: string, eventId: string): Prisma.Sql {
  return outboxRowsSql(
    'notify.webhook',
    {
      v: Prisma.sql`1`,
      batchId: Prisma.sql`${batchId}::text`,
      eventId: Prisma.sql`${eventId}::text`,
      event: Prisma.sql`'batch.' || status`,
      attempt: Prisma.sql`1`,
    },
    {
      from: Prisma.sql`FROM ended_batch WHERE webhook_url IS NOT NULL AND NOT webhook_disabled`,
      messageId: Prisma.sql`${eventId}`,
    },
  );
}

/**
 * The end that does not wait for the images: the batch ends `cancelled` from any state cancel starts from, in the
 * caller's transaction, and its `batch.cancelled` event goes to the outbox when it has a webhook. Null when the batch
 * was no longer in such a state (another end or cancel came first).
 */
export async function endCancelled(
  tx: Pick<Prisma.TransactionClient, '$queryRaw'>,
  batchId: string,
): Promise<{ eventId: string | null } | null> {
  const eventId = `evt_${randomUUID()}`;
  const [row] = await tx.$queryRaw<{ counted: boolean; notified: number }[]>`
    WITH ended_batch AS (
      UPDATE batches SET status = 'cancelled', completed_at = now(), updated_at = now()
       WHERE id = ${batchId}::uuid AND status = ANY(${BATCH_ACTIONS.cancel}::"BatchStatus"[])
      RETURNING status::text AS status, webhook_url, webhook_disabled
    ), event AS (${batchEventSql(batchId, eventId)})
    SELECT EXISTS (SELECT 1 FROM ended_batch) AS counted, ${ENDED_SQL}`;
  if (!row?.counted) return null;
  return { eventId: row.notified > 0 ? eventId : null };
}

/** Reads what endBatchSql's CTEs did; `changed` is whether the statement's guard held. */
export const ENDED_SQL = Prisma.sql`(SELECT status FROM ended_batch) AS status,
           (SELECT count(*) FROM event)::int AS notified`;

export type EndRow = { counted: boolean; status: BatchEnd['status'] | null; notified: number };

export function finishResult(
  row: EndRow | undefined,
  eventId: string,
): { counted: boolean; batchEnd: BatchEnd | null } {
  if (!row?.counted) return { counted: false, batchEnd: null };
  if (!row.status) return { counted: true, batchEnd: null };
  return { counted: true, batchEnd: { status: row.status, eventId: row.notified > 0 ? eventId : null } };
}
