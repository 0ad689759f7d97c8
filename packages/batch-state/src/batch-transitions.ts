// Control actions on a batch (start, pause, resume, cancel, retry failed images, reset stuck images). Each one runs in
// one transaction, checks the state it leaves and changes it with an UPDATE guarded by that state, so of two racing
// calls only one acts and the other gets a BatchStateError; the jobs an action implies go through the outbox in the
// same transaction.
//
// Lock order: images before the batch row, as finishImage does (it updates its image, then the counters), so an
// action racing the last images of a batch waits instead of deadlocking.
//
// Counting: `processed = succeeded + failed` always. Cancelled images are not processed: a cancelled batch's
// cancelled count is `total - processed` (images of URL chunks never ingested included), and its success rate
// stays that of the images that ran.
import { Prisma, type BatchStatus, type PrismaClient } from '@pixmill/db';
import { enqueueMany, outboxRowsSql } from '@pixmill/queue';
import { endCancelled } from './batch-end';
import { actionAllowed, BatchNotFoundError, BatchStateError, type BatchAction } from './batch-state-error';
import { UNTAKEN_IMAGE_STATUSES } from './status-sets';

type Db = Pick<PrismaClient, '$transaction'>;
type Tx = Prisma.TransactionClient;

/** Large batches enqueue one job per image in one statement, but the transaction may still take a while. */
const TX_OPTIONS = { timeout: 120_000, maxWait: 10_000 } as const;

export type OpenWork = { images: number; chunks: number; analyses?: number };

async function currentStatus(
  tx: Tx,
  batchId: string,
  lock: boolean,
): Promise<{ status: BatchStatus; startedAt: Date | null }> {
  const rows = lock
    ? await tx.$queryRaw<{ status: BatchStatus; started_at: Date | null }[]>`
        SELECT status::text AS status, started_at FROM batches WHERE id = ${batchId}::uuid FOR UPDATE`
    : await tx.$queryRaw<{ status: BatchStatus; started_at: Date | null }[]>`
        SELECT status::text AS status, started_at FROM batches WHERE id = ${batchId}::uuid`;
  const row = rows[0];
  if (!row) throw new BatchNotFoundError(batchId);
  return { status: row.status, startedAt: row.started_at };
}

function check(action: BatchAction, status: BatchStatus): void {
  if (!actionAllowed(action, status)) throw new BatchStateError(action, status);
}

/** Where a batch that (re)starts goes: back to `processing` when it ran before (so its start time stays), else `queued`. */
const runningState = (startedAt: Date | null): BatchStatus => (startedAt ? 'processing' : 'queued');

/**
 * Writes the jobs for everything of the batch that is still to do: one resize job per pending image that has its
 * original, one ingest job per URL chunk not finished (pending, or processing when a pause stopped it mid-way).
 * Safe to repeat: a job for work already done or taken is acked and dropped by its handler.
 */
export async function requeueOpenWork(tx: Tx, batchId: string): Promise<OpenWork> {
  // One INSERT ... SELECT instead of one enqueue() per image: resuming 100,000 images is one statement.
  const imageJob = { v: Prisma.sql`1`, batchId: Prisma.sql`i.batch_id`, imageId: Prisma.sql`i.id` };
  const images = await tx.$executeRaw(
    outboxRowsSql('resize.image', imageJob, {
      from: Prisma.sql`FROM images i
       WHERE i.batch_id = ${batchId}::uuid AND i.status = 'pending' AND i.original_key IS NOT NULL`,
    }),
  );
  // Analyses an image's resize asked for and that have not ended (a restart of the in-process queue lost them).
  const analyses = await tx.$executeRaw(
    outboxRowsSql('analyze.image', imageJob, {
      from: Prisma.sql`FROM images i
       WHERE i.batch_id = ${batchId}::uuid AND i.status = 'succeeded' AND i.analysis_status = 'pending'`,
    }),
  );
  const chunks = await tx.chunk.findMany({
    where: { batchId, status: { in: ['pending', 'processing'] } },
    select: { id: true },
    orderBy: { seq: 'asc' },
  });
  await enqueueMany(
    tx,
    'ingest.chunk',
    chunks.map((c) => ({ v: 1 as const, batchId, chunkId: c.id })),
  );
  return { images, chunks: chunks.length, ...(analyses > 0 && { analyses }) };
}

export type StartResult = { status: BatchStatus; enqueued: OpenWork };

/**
 * `start` (a batch created with auto_start=false), `force-start` (also from paused) and `resume`: the batch runs
 * again and its open work is queued. Validation of the batch's content, which `force-start` may skip, is the
 * caller's (it needs the recipe parser and storage).
 */
export async function startBatch(
  prisma: Db,
  batchId: string,
  action: Extract<BatchAction, 'start' | 'force-start' | 'resume'> = 'start',
): Promise<StartResult> {
  return prisma.$transaction(async (tx) => {
    const { status, startedAt } = await currentStatus(tx, batchId, true);
    check(action, status);
    const next = runningState(startedAt);
    await tx.batch.update({ where: { id: batchId }, data: { status: next } });
    return { status: next, enqueued: await requeueOpenWork(tx, batchId) };
  }, TX_OPTIONS);
}

export const resumeBatch = (prisma: Db, batchId: string) => startBatch(prisma, batchId, 'resume');

/**
 * Workers stop taking the batch's images (claimImage refuses; ingest stops taking new URLs); images in flight
 * finish and are counted. Their queued messages are acked and dropped, which is why resume queues the open work again.
 */
export async function pauseBatch(prisma: Db, batchId: string): Promise<{ status: BatchStatus }> {
  return prisma.$transaction(async (tx) => {
    const { status } = await currentStatus(tx, batchId, true);
    check('pause', status);
    await tx.batch.update({ where: { id: batchId }, data: { status: 'paused' } });
    return { status: 'paused' as const };
  });
}

export type CancelResult = { status: 'cancelled'; cancelledImages: number; eventId: string | null };

/**
 * Every image not yet taken (pending, or fetching its URL) becomes `cancelled`; images being resized finish and are
 * counted; the batch ends `cancelled` and, when it has a webhook, `batch.cancelled` is written to the outbox.
 */
export async function cancelBatch(prisma: Db, batchId: string): Promise<CancelResult> {
  return prisma.$transaction(async (tx) => {
    check('cancel', (await currentStatus(tx, batchId, false)).status);
    const now = new Date();
    const { count } = await tx.image.updateMany({
      where: { batchId, status: { in: [...UNTAKEN_IMAGE_STATUSES] } },
      data: { status: 'cancelled', processedAt: now },
    });
    const ended = await endCancelled(tx, batchId);
    // Someone ended or cancelled it between our read and here: undo the image changes with the transaction.
    if (!ended) throw new BatchStateError('cancel', (await currentStatus(tx, batchId, false)).status);
    return { status: 'cancelled' as const, cancelledImages: count, eventId: ended.eventId };
  }, TX_OPTIONS);
}

export type RetryResult = { status: BatchStatus; retriedImages: number; enqueued: OpenWork };

/**
 * Failed images go back to `pending` (error cleared) and only they run again: counters lose them
 * (processed and failed), the batch runs again, and their jobs are queued. An image whose URL never gave an original
 * is fetched again: its chunk goes back to pending.
 */
export async function retryFailedImages(prisma: Db, batchId: string): Promise<RetryResult> {
  return prisma.$transaction(async (tx) => {
    const before = await currentStatus(tx, batchId, false);
    check('retry-failed', before.status);
    const failed = await tx.image.findMany({
      where: { batchId, status: 'failed' },
      select: { id: true, chunkId: true, originalKey: true },
    });
    if (failed.length === 0) throw new BatchStateError('retry-failed', before.status, 'it has no failed images');
    const { count } = await tx.image.updateMany({
      where: { batchId, status: 'failed' },
      data: { status: 'pending', errorCode: null, errorMessage: null, processedAt: null, startedAt: null },
    });
    const chunkIds = [...new Set(failed.filter((i) => !i.originalKey && i.chunkId).map((i) => i.chunkId!))];
    if (chunkIds.length > 0) {
      await tx.chunk.updateMany({
        where: { id: { in: chunkIds } },
        data: { status: 'pending', completedAt: null },
      });
    }
    const next = runningState(before.startedAt);
    const { count: moved } = await tx.batch.updateMany({
      where: { id: batchId, status: { in: ['completed', 'failed'] } },
      data: {
        status: next,
        completedAt: null,
        processedImages: { decrement: count },
        failedImages: { decrement: count },
      },
    });
    if (moved === 0) throw new BatchStateError('retry-failed', (await currentStatus(tx, batchId, false)).status);
    return { status: next, retriedImages: count, enqueued: await requeueOpenWork(tx, batchId) };
  }, TX_OPTIONS);
}

export type ResetResult = { status: BatchStatus; resetImages: number; enqueued: OpenWork };

/**
 * An operator's unsticking of a batch: images taken longer ago than `olderThan` and still open (a worker died
 * holding them and the broker will not deliver them again) go back to `pending`, and when the batch runs, all its
 * open work is queued again. A worker that was merely slow still finishes; the image is counted once either way.
 */
export async function resetStuckImages(prisma: Db, batchId: string, olderThan: Date): Promise<ResetResult> {
  return prisma.$transaction(async (tx) => {
    const before = await currentStatus(tx, batchId, false);
    check('reset', before.status);
    const stuck = await tx.image.findMany({
      where: { batchId, status: { in: ['processing', 'fetching'] }, startedAt: { lt: olderThan } },
      select: { id: true, chunkId: true, originalKey: true },
    });
    const { count } = await tx.image.updateMany({
      where: { id: { in: stuck.map((i) => i.id) }, status: { in: ['processing', 'fetching'] } },
      data: { status: 'pending', startedAt: null },
    });
    const chunkIds = [...new Set(stuck.filter((i) => !i.originalKey && i.chunkId).map((i) => i.chunkId!))];
    if (chunkIds.length > 0) {
      await tx.chunk.updateMany({ where: { id: { in: chunkIds } }, data: { status: 'pending', completedAt: null } });
    }
    const { status } = await currentStatus(tx, batchId, true);
    check('reset', status);
    const running = status === 'queued' || status === 'processing';
    return {
      status,
      resetImages: count,
      enqueued: running ? await requeueOpenWork(tx, batchId) : { images: 0, chunks: 0 },
    };
  }, TX_OPTIONS);
}
