// Batches in a given state, built row by row, for the batch-state tests (which run the real SQL on PostgreSQL).
import { randomUUID } from 'node:crypto';
import type { BatchStatus, ImageStatus, PrismaClient } from '@pixmill/db';
import { createTestDatabase, type TestDatabase } from '@pixmill/db/testing';

export type Img = { status?: ImageStatus; original?: boolean; chunkId?: string; startedAt?: Date };

/** A database of its own for the calling test file (with an owner for its batches), and batches in it. */
export function useBatchDatabase() {
  let db: TestDatabase;
  let ownerId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    ownerId = (await db.prisma.user.create({ data: { username: `u-${randomUUID()}`, passwordHash: 'x' } })).id;
  });
  afterAll(() => db?.drop());
  const prisma = (): PrismaClient => db.prisma;

  /** A batch with images in the given states; counters consistent with them. */
  async function makeBatch(status: BatchStatus, images: Img[], o: { webhookUrl?: string; started?: boolean } = {}) {
    const id = randomUUID();
    const count = (s: ImageStatus) => images.filter((i) => (i.status ?? 'pending') === s).length;
    await prisma().batch.create({
      data: {
        id,
        ownerId,
        status,
        sourceKind: 'upload',
        recipe: { variants: [] },
        totalImages: images.length,
        processedImages: count('succeeded') + count('failed'),
        succeededImages: count('succeeded'),
        failedImages: count('failed'),
        webhookUrl: o.webhookUrl ?? null,
        startedAt: o.started ? new Date(Date.now() - 60_000) : null,
        completedAt: ['completed', 'failed', 'cancelled'].includes(status) ? new Date() : null,
      },
    });
    const ids: string[] = [];
    for (const [n, img] of images.entries()) {
      const imageId = randomUUID();
      ids.push(imageId);
      await prisma().image.create({
        data: {
          id: imageId,
          batchId: id,
          rowNumber: n + 1,
          status: img.status ?? 'pending',
          originalKey: img.original === false ? null : `originals/${id}/${imageId}.jpg`,
          chunkId: img.chunkId ?? null,
          startedAt: img.startedAt ?? null,
          ...(img.status === 'failed' ? { errorCode: 'corrupt', errorMessage: 'bad bytes' } : {}),
        },
      });
    }
    return { id, imageIds: ids };
  }

  const outbox = (batchId: string, queue: string) =>
    prisma().outboxMessage.findMany({ where: { queue, payload: { path: ['batchId'], equals: batchId } } });

  const batchOf = (id: string) => prisma().batch.findUniqueOrThrow({ where: { id } });
  return { prisma, makeBatch, outbox, batchOf };
}
