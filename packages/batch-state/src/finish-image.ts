// Ending an image: its status, its outputs and the batch counters change in one transaction, guarded by the
// state they leave, so a redelivered message counts nothing twice and a batch ends exactly once.
import type { Prisma, PrismaClient } from '@pixmill/db';
import { endBatchIfDone, type BatchEnd } from './end-batch';

export type OutputRecord = {
  variant: string;
  storageKey: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
};
export type ImageOutcome =
  | { status: 'succeeded'; outputs: OutputRecord[]; contentHash?: string }
  | { status: 'failed'; code: string; message: string };

export type FinishResult = { counted: boolean; batchEnd: BatchEnd | null };

/** Image states an image can still be finished from; anything else is final. */
const OPEN_IMAGE_STATES = ['pending', 'fetching', 'processing'] as const;

export async function finishImage(
  prisma: Pick<PrismaClient, '$transaction'>,
  batchId: string,
  imageId: string,
  outcome: ImageOutcome,
): Promise<FinishResult> {
  return prisma.$transaction(async (tx) => finishImageInTx(tx, batchId, imageId, outcome));
}

export async function finishImageInTx(
  tx: Prisma.TransactionClient,
  batchId: string,
  imageId: string,
  outcome: ImageOutcome,
): Promise<FinishResult> {
  const now = new Date();
  const ok = outcome.status === 'succeeded';
  const { count } = await tx.image.updateMany({
    where: { id: imageId, batchId, status: { in: [...OPEN_IMAGE_STATES] } },
    data: ok
      ? {
          status: 'succeeded',
          processedAt: now,
          errorCode: null,
          errorMessage: null,
          ...(outcome.contentHash ? { contentHash: outcome.contentHash } : {}),
        }
      : { status: 'failed', processedAt: now, errorCode: outcome.code, errorMessage: outcome.message.slice(0, 1000) },
  });
  if (count === 0) return { counted: false, batchEnd: null };

  if (ok) {
    for (const o of outcome.outputs) {
      await tx.output.upsert({
        where: { imageId_variant: { imageId, variant: o.variant } },
        create: { imageId, ...o },
        update: { storageKey: o.storageKey, format: o.format, width: o.width, height: o.height, bytes: o.bytes },
      });
    }
  }
  await tx.batch.update({
    where: { id: batchId },
    data: {
      processedImages: { increment: 1 },
      ...(ok ? { succeededImages: { increment: 1 } } : { failedImages: { increment: 1 } }),
    },
  });
  return { counted: true, batchEnd: await endBatchIfDone(tx, batchId) };
}
