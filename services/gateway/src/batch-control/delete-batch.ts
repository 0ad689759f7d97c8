// Removing batches: soft delete (hidden from lists, purged after its retention), restore, hard delete (rows and
// stored objects), and the purge of soft-deleted batches whose retention has passed (an admin cleanup action).
import { actionAllowed, BatchStateError, cancelBatch } from '@pixmill/batch-state';
import { batchPrefixes } from '@pixmill/contracts';
import type { Batch, PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { ObjectStore } from '@pixmill/storage';

type Db = Pick<PrismaClient, '$transaction' | 'batch'>;

export async function softDeleteBatch(prisma: Db, batch: Batch, retentionDays: number, now = new Date()) {
  if (batch.deletedAt) throw new BatchStateError('soft-delete', batch.status, 'it is already deleted');
  if (!actionAllowed('soft-delete', batch.status)) throw new BatchStateError('soft-delete', batch.status);
  const purgeAfter = new Date(now.getTime() + retentionDays * 86_400_000);
  // Guarded by the state read, so a batch that started meanwhile is not hidden while it runs.
  const { count } = await prisma.batch.updateMany({
    where: { id: batch.id, status: batch.status, deletedAt: null },
    data: { deletedAt: now, purgeAfter },
  });
  if (count === 0) throw new BatchStateError('soft-delete', batch.status, 'it changed meanwhile; try again');
  return { deletedAt: now, purgeAfter };
}

export async function restoreBatch(prisma: Db, batch: Batch) {
  if (!batch.deletedAt) throw new BatchStateError('restore', batch.status, 'it is not deleted');
  await prisma.batch.updateMany({ where: { id: batch.id }, data: { deletedAt: null, purgeAfter: null } });
}

export type DeleteDeps = { prisma: Db; store: Pick<ObjectStore, 'deletePrefix'>; log: Logger };

/**
 * Deletes the batch and everything it stored. An active batch needs `force`: it is cancelled first, so workers stop
 * taking its images (one still in flight may write its outputs after; they are removed with the prefix, and its
 * result finds no row to count). Rows go last, so a storage failure leaves a batch that can be deleted again.
 */
export async function deleteBatch(d: DeleteDeps, batch: Batch, o: { force: boolean }): Promise<{ objects: number }> {
  if (!actionAllowed('delete', batch.status)) {
    if (!o.force)
      throw new BatchStateError('delete', batch.status, 'it is active; pass force=true to cancel and delete it');
    try {
      await cancelBatch(d.prisma, batch.id);
    } catch (err) {
      // It ended on its own meanwhile: deleting a finished batch needs no cancel.
      if (!(err instanceof BatchStateError)) throw err;
    }
  }
  let objects = 0;
  for (const prefix of batchPrefixes(batch.id)) objects += await d.store.deletePrefix(prefix);
  await d.prisma.batch.deleteMany({ where: { id: batch.id } });
  d.log.info({ batchId: batch.id, objects, forced: o.force }, 'batch deleted');
  return { objects };
}

/** Hard-deletes soft-deleted batches whose retention has passed; answers how many batches and objects went. */
export async function purgeExpiredBatches(d: DeleteDeps, now = new Date(), limit = 500) {
  const expired = await d.prisma.batch.findMany({
    where: { deletedAt: { not: null }, purgeAfter: { lte: now } },
    orderBy: { purgeAfter: 'asc' },
    take: limit,
  });
  let objects = 0;
  for (const b of expired) objects += (await deleteBatch(d, b, { force: true })).objects;
  return { batches: expired.length, objects };
}
