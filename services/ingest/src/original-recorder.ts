// Recording stored originals in batches: one transaction per flush (every `maxBatch` images or `maxDelayMs`) sets
// the images back to `pending` with their original and writes their resize jobs to the outbox. Per image this
// saves a transaction round trip; a fetch waits at most `maxDelayMs` longer to be durable.
import { recordOriginals } from '@pixmill/batch-state';
import type { PrismaClient } from '@pixmill/db';

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
      recordOriginals(
        prisma,
        c,
        items.flatMap((i) => i.imageIds.map((imageId) => ({ imageId, ...i.original }))),
      ).then(
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
