import type { PrismaClient } from '@pixmill/db';

export type Claim = { claimed: true } | { claimed: false; reason: 'image_final' | 'batch_not_running' };

/**
 * Takes an image for processing: only while its batch runs (not pending, paused, cancelled or ended) and only
 * while the image is not final. A redelivered message for a finished image gets `image_final` and is acked.
 */
export async function claimImage(
  prisma: Pick<PrismaClient, '$transaction'>,
  batchId: string,
  imageId: string,
): Promise<Claim> {
  return prisma.$transaction(async (tx) => {
    const batch = await tx.batch.findUnique({ where: { id: batchId }, select: { status: true } });
    if (!batch || !['queued', 'processing'].includes(batch.status))
      return { claimed: false, reason: 'batch_not_running' };
    const { count } = await tx.image.updateMany({
      where: { id: imageId, batchId, status: { in: ['pending', 'processing'] } },
      data: { status: 'processing', startedAt: new Date(), attempts: { increment: 1 } },
    });
    if (count === 0) return { claimed: false, reason: 'image_final' };
    if (batch.status === 'queued') {
      await tx.batch.updateMany({
        where: { id: batchId, status: 'queued' },
        data: { status: 'processing', startedAt: new Date() },
      });
    }
    return { claimed: true };
  });
}
