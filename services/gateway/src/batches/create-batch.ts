// Creating a batch: the batch, its images and (when it starts at once) their jobs are written in one transaction,
// the jobs through the outbox, so a batch is never visible without the work it implies, nor the reverse.
import type { Prisma, PrismaClient, SourceKind } from '@pixmill/db';
import type { AnalysisKind } from '@pixmill/contracts';
import type { Recipe } from '@pixmill/imaging';
import { enqueueMany } from '@pixmill/queue';
import { withAccountWebhook } from './account-webhook';

export type NewImage = {
  id: string;
  originalName?: string;
  originalKey?: string;
  bytes?: number;
  contentType?: string;
};

/** What every new batch has, uploaded or by URL. */
export type NewBatchFields = {
  id: string;
  ownerId: string;
  name?: string;
  recipe: Recipe;
  /** Analyses asked for; none when unset or empty. */
  analysis?: AnalysisKind[];
  sourceKind: SourceKind;
  autoStart: boolean;
  idempotencyKey?: string;
  webhookUrl?: string;
  webhookSecret?: string;
};

export type NewBatch = NewBatchFields & { images: NewImage[] };

/** The batch row of a new batch: `queued` when it starts at once, else `pending`. */
export const newBatchRow = (b: NewBatchFields, totalImages: number): Prisma.BatchUncheckedCreateInput => ({
  id: b.id,
  ownerId: b.ownerId,
  name: b.name ?? null,
  status: b.autoStart ? 'queued' : 'pending',
  sourceKind: b.sourceKind,
  recipe: b.recipe as unknown as Prisma.InputJsonValue,
  ...(b.analysis?.length && { analysis: b.analysis }),
  totalImages,
  idempotencyKey: b.idempotencyKey ?? null,
  webhookUrl: b.webhookUrl ?? null,
  webhookSecret: b.webhookSecret ?? null,
});

export async function createUploadBatch(prisma: Pick<PrismaClient, '$transaction'>, b: NewBatch) {
  return prisma.$transaction(async (tx) => {
    const batch = await tx.batch.create({ data: newBatchRow(await withAccountWebhook(tx, b), b.images.length) });
    await tx.image.createMany({
      data: b.images.map((img, i) => ({
        id: img.id,
        batchId: b.id,
        rowNumber: i + 1,
        originalName: img.originalName ?? null,
        originalKey: img.originalKey ?? null,
        bytes: img.bytes ?? null,
        contentType: img.contentType ?? null,
      })),
    });
    if (b.autoStart)
      await enqueueImages(
        tx,
        b.id,
        b.images.map((i) => i.id),
      );
    return batch;
  });
}

/** One resize job per image, through the outbox of the caller's transaction. */
export async function enqueueImages(tx: Prisma.TransactionClient, batchId: string, imageIds: string[]): Promise<void> {
  await enqueueMany(
    tx,
    'resize.image',
    imageIds.map((imageId) => ({ v: 1 as const, batchId, imageId })),
  );
}
