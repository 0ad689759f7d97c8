// Uploads in progress, recorded so that what a gateway killed mid-upload streamed to storage can be found again
// (model UploadIntent). A refused upload removes its files itself; only a dead process leaves its intent behind.
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { ObjectStore } from '@pixmill/storage';
import { originalsPrefix, uploadPrefix } from '@pixmill/contracts';

/** Every prefix an upload of `batchId` may have written to before its batch row exists. */
const uploadedPrefixes = (batchId: string) => [originalsPrefix(batchId), uploadPrefix(batchId)];

/**
 * Deletes everything an upload of `batchId` stored (for an upload refused or abandoned before its batch existed).
 * Every prefix is tried; the first failure is thrown after. Answers how many objects went.
 */
export async function removeUploadedFiles(store: Pick<ObjectStore, 'deletePrefix'>, batchId: string): Promise<number> {
  const results = await Promise.allSettled(uploadedPrefixes(batchId).map((prefix) => store.deletePrefix(prefix)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
}

type UploadDeps = {
  prisma: Pick<PrismaClient, 'uploadIntent' | 'batch'>;
  store: Pick<ObjectStore, 'deletePrefix'>;
};

const batchExists = async (prisma: Pick<PrismaClient, 'batch'>, batchId: string) =>
  (await prisma.batch.findUnique({ where: { id: batchId }, select: { id: true } })) !== null;

/**
 * Runs `receive` (which streams files to storage, then creates batch `batchId`) as a recorded upload: if it fails
 * before the batch exists, nothing it stored stays; once the batch exists its files are the batch's. The record goes
 * once it is over either way.
 */
export async function asRecordedUpload<T>(
  d: UploadDeps & { log: Logger },
  batchId: string,
  receive: () => Promise<T>,
): Promise<T> {
  await d.prisma.uploadIntent.create({ data: { batchId } });
  try {
    return await receive();
  } catch (err) {
    if (!(await batchExists(d.prisma, batchId)))
      await removeUploadedFiles(d.store, batchId).catch((cleanupErr: unknown) =>
        d.log.warn({ err: cleanupErr, batchId }, 'could not clean up a refused upload'),
      );
    throw err;
  } finally {
    await d.prisma.uploadIntent.deleteMany({ where: { batchId } });
  }
}

/** An upload is given this long before its leftovers are removed (the longest one the limits allow is far shorter). */
export const ABANDONED_AFTER_MS = 24 * 60 * 60_000;

/**
 * Removes what uploads abandoned by a dead gateway stored: for each intent older than ABANDONED_AFTER_MS whose batch
 * was never created, the files under its prefixes; then the intent. Answers how many uploads it cleared.
 */
export async function removeAbandonedUploads(
  d: UploadDeps,
  now = new Date(),
  limit = 500,
): Promise<{ uploads: number; objects: number }> {
  const stale = await d.prisma.uploadIntent.findMany({
    where: { startedAt: { lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } },
    orderBy: { startedAt: 'asc' },
    take: limit,
  });
  let objects = 0;
  for (const { batchId } of stale) {
    // The process may have died after the batch was created but before the intent went: then the files are its.
    if (!(await batchExists(d.prisma, batchId))) objects += await removeUploadedFiles(d.store, batchId);
    await d.prisma.uploadIntent.deleteMany({ where: { batchId } });
  }
  return { uploads: stale.length, objects };
}
