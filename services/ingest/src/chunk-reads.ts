// What the ingest worker reads about a chunk, its batch and its images; every write is @pixmill/batch-state's.
import type { PrismaClient } from '@pixmill/db';

export function findChunk(prisma: Pick<PrismaClient, 'chunk'>, chunkId: string) {
  return prisma.chunk.findUnique({
    where: { id: chunkId },
    include: { batch: { select: { status: true, sourceColumns: true } } },
  });
}

export type ChunkRow = NonNullable<Awaited<ReturnType<typeof findChunk>>>;

export async function batchStatus(prisma: Pick<PrismaClient, 'batch'>, batchId: string) {
  const b = await prisma.batch.findUnique({ where: { id: batchId }, select: { status: true } });
  return b?.status ?? null;
}

/** The image at a URL's first occurrence in the batch (row, URL index), as far as it got. */
export function findImageAt(prisma: Pick<PrismaClient, 'image'>, batchId: string, rowNumber: number, urlIndex: number) {
  return prisma.image.findFirst({
    where: { batchId, rowNumber, urlIndex },
    select: {
      sourceUrl: true,
      status: true,
      originalKey: true,
      contentType: true,
      bytes: true,
      errorCode: true,
      errorMessage: true,
    },
  });
}
