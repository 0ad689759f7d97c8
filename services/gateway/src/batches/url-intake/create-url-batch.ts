// A URL batch, its chunks and (when it starts at once) one ingest job per chunk, in one transaction; the jobs go
// through the outbox. Image rows are not made here: each chunk's worker makes them, so intake stays fast.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@pixmill/db';
import { enqueueMany } from '@pixmill/queue';
import { withAccountWebhook } from '../account-webhook';
import { newBatchRow, type NewBatchFields } from '../create-batch';
import type { CsvIntakeResult } from './receive-csv';

export type NewUrlBatch = NewBatchFields & {
  sourceKind: 'csv' | 'url_list';
  chunkSize: number;
  intake: CsvIntakeResult;
};

export async function createUrlBatch(prisma: Pick<PrismaClient, '$transaction'>, b: NewUrlBatch) {
  return prisma.$transaction(
    async (tx) => {
      const batch = await tx.batch.create({
        data: {
          ...newBatchRow(await withAccountWebhook(tx, b), b.intake.urls),
          sourceKey: b.intake.sourceKey,
          sourceColumns: b.intake.columns,
          chunkSize: b.chunkSize,
        },
      });
      const chunks = b.intake.chunks.map((c) => ({
        id: randomUUID(),
        batchId: b.id,
        seq: c.seq,
        firstRow: c.firstRow,
        rowCount: c.rowCount,
        urlCount: c.urlCount,
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
