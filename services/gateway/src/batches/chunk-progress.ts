// Where a URL batch is among its chunks (the ingest service's units of work), for the batch detail.
import type { Batch, PrismaClient } from '@pixmill/db';

export type ChunkProgress = {
  /** Chunks of the batch; 0 for a batch of uploaded images, which is not split into chunks. */
  total: number;
  /**
   * 1-based number of the chunk being worked on: the lowest one not finished (pending or processing), or `total`
   * once all are finished; null when the batch has no chunks.
   */
  current: number | null;
};

export async function chunkProgressOf(
  prisma: Pick<PrismaClient, 'chunk'>,
  batch: Pick<Batch, 'id'>,
): Promise<ChunkProgress> {
  // Both are range scans of the (batch_id, seq) unique index.
  const [total, open] = await Promise.all([
    prisma.chunk.count({ where: { batchId: batch.id } }),
    prisma.chunk.findFirst({
      where: { batchId: batch.id, status: { in: ['pending', 'processing'] } },
      orderBy: { seq: 'asc' },
      select: { seq: true },
    }),
  ]);
  if (total === 0) return { total: 0, current: null };
  return { total, current: open?.seq ?? total };
}
