// Recording stored originals in batches: one transaction per flush (every `maxBatch` images or `maxDelayMs`) sets
// the images back to `pending` with their original and writes their resize jobs to the outbox. Per image this
// saves a transaction round trip; a fetch waits at most `maxDelayMs` longer to be durable.
import type { PrismaClient } from '@pixmill/db';
import { enqueueMany } from '@pixmill/queue';

export type Original = { originalKey: string; contentType: string | null; bytes: number | null };

export type OriginalRecorder = {
  /** Resolves once the images' original and resize jobs are committed (or rejects with the flush's error). */
  record(imageIds: string[], original: Original): Promise<void>;
  /** Writes what is waiting now. */
  flush(): Promise<void>;
};

type Waiting = { imageIds: string[]; original: Original; resolve: () => void; reject: (err: unknown) => void };

export function createOriginalRecorder(
  prisma: Pick<PrismaClient, '$transaction'>,
  c: { batchId: string; chunkId: string },
  o: { maxBatch?: number; maxDelayMs?: number } = {},
): OriginalRecorder {
  const maxBatch = o.maxBatch ?? 32;
  const maxDelayMs = o.maxDelayMs ?? 25;
  let waiting: Waiting[] = [];
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const items = waiting;
    waiting = [];
    count = 0;
    if (items.length === 0) return chain;
    chain = chain.then(() =>
      write(prisma, c, items).then(
        () => items.forEach((i) => i.resolve()),
        (err: unknown) => items.forEach((i) => i.reject(err)),
      ),
    );
    return chain;
  };

  return {
    flush,
    record(imageIds, original) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ imageIds, original, resolve, reject });
        count += imageIds.length;
        if (count >= maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), maxDelayMs);
      });
    },
  };
}

/**
 * One statement updates every image still open (guarded by the state it leaves, so a redelivery or a racing
 * duplicate changes nothing twice), then the resize jobs of the images it did update (one statement too).
 */
async function write(
  prisma: Pick<PrismaClient, '$transaction'>,
  c: { batchId: string; chunkId: string },
  items: Waiting[],
) {
  const ids: string[] = [];
  const keys: string[] = [];
  const types: (string | null)[] = [];
  const sizes: (number | null)[] = [];
  for (const item of items) {
    for (const id of item.imageIds) {
      ids.push(id);
      keys.push(item.original.originalKey);
      types.push(item.original.contentType);
      sizes.push(item.original.bytes);
    }
  }
  await prisma.$transaction(async (tx) => {
    const taken = await tx.$queryRaw<{ id: string }[]>`
      UPDATE images AS i
         SET original_key = v.key, content_type = v.content_type, bytes = v.bytes, status = 'pending'
        FROM unnest(${ids}::uuid[], ${keys}::text[], ${types}::text[], ${sizes}::int[]) AS v(id, key, content_type, bytes)
       WHERE i.id = v.id
         AND i.batch_id = ${c.batchId}::uuid
         AND i.status IN ('pending', 'fetching')
         AND i.original_key IS NULL
      RETURNING i.id::text AS id`;
    await enqueueMany(
      tx,
      'resize.image',
      taken.map(({ id }) => ({ v: 1 as const, batchId: c.batchId, imageId: id })),
    );
    if (taken.length > 0)
      await tx.chunk.update({ where: { id: c.chunkId }, data: { fetched: { increment: taken.length } } });
  });
}
