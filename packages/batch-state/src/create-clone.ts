// The rows of a cloned batch, written in one transaction: the batch with the state and counters its kept outcomes
// give it (by the end rule of batch-end.ts: a clone that kept every outcome is born ended), its chunks open or done,
// its images each kept or pending again, and the jobs of its open work when it starts at once.
import type { Batch, BatchStatus, Prisma, PrismaClient } from '@pixmill/db';
import { endStatusOf } from './batch-end';
import { requeueOpenWork } from './batch-transitions';
import type { ENDED_IMAGE_STATUSES } from './status-sets';

const PAGE = 1000;

export type CloneRows = {
  batch: Omit<
    Prisma.BatchUncheckedCreateInput,
    'status' | 'processedImages' | 'succeededImages' | 'failedImages' | 'completedAt'
  > & { id: string; totalImages: number };
  /** `open`: the chunk must be ingested again (an image of it lacks its original and kept no outcome). */
  chunks: (Omit<Prisma.ChunkCreateManyInput, 'status' | 'completedAt' | 'batchId'> & { open: boolean })[];
  /** `kept`: the outcome the image keeps from the source; null runs it again. */
  images: (Omit<Prisma.ImageCreateManyInput, 'status' | 'batchId'> & {
    kept: (typeof ENDED_IMAGE_STATUSES)[number] | null;
  })[];
  outputs: Prisma.OutputCreateManyInput[];
  autoStart: boolean;
};

export async function createClone(prisma: Pick<PrismaClient, '$transaction'>, rows: CloneRows): Promise<Batch> {
  const id = rows.batch.id;
  const succeeded = rows.images.filter((i) => i.kept === 'succeeded').length;
  const failed = rows.images.filter((i) => i.kept === 'failed').length;
  const processed = succeeded + failed;
  const total = rows.batch.totalImages;
  // An empty clone is not born ended: it waits to be started like any new batch.
  const ended = total > 0 ? endStatusOf({ total, processed, succeeded, analysesPending: 0 }) : null;
  const status: BatchStatus = ended ?? (rows.autoStart ? 'queued' : 'pending');
  const now = new Date();
  return prisma.$transaction(
    async (tx) => {
      const batch = await tx.batch.create({
        data: {
          ...rows.batch,
          status,
          processedImages: processed,
          succeededImages: succeeded,
          failedImages: failed,
          completedAt: ended ? now : null,
        },
      });
      await tx.chunk.createMany({
        data: rows.chunks.map(({ open, ...c }) => ({
          ...c,
          batchId: id,
          status: open ? ('pending' as const) : ('completed' as const),
          completedAt: open ? null : now,
        })),
      });
      const images = rows.images.map(({ kept, ...img }): Prisma.ImageCreateManyInput => ({
        ...img,
        batchId: id,
        status: kept ?? 'pending',
      }));
      for (let i = 0; i < images.length; i += PAGE) await tx.image.createMany({ data: images.slice(i, i + PAGE) });
      for (let i = 0; i < rows.outputs.length; i += PAGE)
        await tx.output.createMany({ data: rows.outputs.slice(i, i + PAGE) });
      if (status === 'queued') await requeueOpenWork(tx, id);
      return batch;
    },
    { timeout: 120_000 },
  );
}
