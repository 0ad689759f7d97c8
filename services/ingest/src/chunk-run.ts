// What the steps of one chunk's delivery share: its ids, where its originals are recorded, whether its batch runs.
import { RUNNING_BATCH_STATUSES } from '@pixmill/batch-state';
import type { BatchStatus, PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import { batchStatus } from './chunk-reads';
import type { OriginalRecorder } from './original-recorder';

export type ChunkRun = {
  batchId: string;
  chunkId: string;
  recorder: OriginalRecorder;
  log: Logger;
  /** False once the batch is paused or cancelled, or the worker stops: no new URL (or retry) is taken. */
  running: () => Promise<boolean>;
};

const RUNNING: ReadonlySet<BatchStatus> = new Set(RUNNING_BATCH_STATUSES);

export const isRunning = (status: BatchStatus | null): boolean => status !== null && RUNNING.has(status);

/** A pause or cancel is seen within about `everyMs` (the batch is read at most that often); a stop at once. */
export function watchBatch(
  prisma: Pick<PrismaClient, 'batch'>,
  batchId: string,
  o: { everyMs: number; signal?: AbortSignal },
): () => Promise<boolean> {
  let checkedAt = Date.now();
  let running = true;
  return async () => {
    if (o.signal?.aborted) return false;
    if (!running || Date.now() - checkedAt < o.everyMs) return running;
    checkedAt = Date.now();
    running = isRunning(await batchStatus(prisma, batchId));
    return running;
  };
}
