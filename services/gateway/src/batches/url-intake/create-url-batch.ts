// A URL batch, its chunks and (when it starts at once) one ingest job per chunk, in one transaction; the jobs go
// through the outbox. Image rows are not made here: each chunk's worker makes them, so intake stays fast.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@pixmill/db';
import type { Recipe } from '@pixmill/imaging';
import { enqueueMany } from '@pixmill/queue';
import type { CsvIntakeResult } from './receive-csv';

export type NewUrlBatch = {
  id: string;
  ownerId: string;
  name?: string;
  recipe: Recipe;
  sourceKind: 'csv' | 'url_list';
  autoStart: boolean;
  idempotencyKey?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  chunkSize: number;
  intake: CsvIntakeResult;
};

export async function createUrlBatch(prisma: Pick<PrismaClient, '$transaction'>, b: NewUrlBatch) {
  return prisma.$transaction(
    async (tx) => {
      const batch = await tx.batch.create({
        data: {
          id: b.id,
          ownerId: b.ownerId,
          name: b.name ?? null,
          status: b.autoStart ? 'queued' : 'pending',
          sourceKind: b.sourceKind,
          recipe: b.recipe as unknown as Prisma.InputJsonValue,
          sourceKey: b.intake.sourceKey,
          sourceColumns: b.intake.columns,
          chunkSize: b.chunkSize,
          totalImages: b.intake.urls,
          idempotencyKey: b.idempotencyKey ?? null,
          webhookUrl: b.webhookUrl ?? null,
          webhookSecret: b.webhookSecret ?? null,
        },
      });
      const chunks = b.intake.chunks.map((c) => ({
        id: randomUUID(),
        batchId: b.id,
        seq: c.seq,
        firstRow: c.firstRow,
        rowCount: c.rowCount,
      }));
      await tx.chunk.createMany({ data: chunks });
      if (b.autoStart)
        await enqueueMany(
          tx,
          'ingest.chunk',
          chunks.map((c) => ({ v: 1 as const, batchId: b.id, chunkId: c.id })),
        );
      return batch;
    },
    { timeout: 60_000 },
  );
}
