// One chunk of a URL batch: create its image rows, fetch each distinct URL once (bounded, retried, SSRF-guarded),
// store the original and publish its resize job in the transaction that records it; fail bad URLs with a reason.
//
// Idempotent: image rows are created once per chunk; an image leaves `pending`/`fetching` exactly once (to `pending`
// with an original, or `failed`), guarded by the state it leaves, so a redelivered job fetches only what is still
// open and counts nothing twice. Every state change is @pixmill/batch-state's; this file orders them.
import {
  createChunkImages,
  failChunk,
  markChunkFetching,
  openChunkImages,
  settleChunk,
  takeChunk,
} from '@pixmill/batch-state';
import type { Settings } from '@pixmill/config';
import type { IngestChunkJob } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Logger, PipelineMetrics } from '@pixmill/observability';
import type { JobContext } from '@pixmill/queue';
import type { SafeFetcher } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import pLimit, { type Limit } from 'p-limit';
import { chunkImageRows } from '../chunk-images';
import { readChunkManifest } from '../chunk-manifest';
import { findChunk, type ChunkRow } from '../chunk-reads';
import { isRunning, watchBatch, type ChunkRun } from '../chunk-run';
import { DEFAULT_FETCH_RETRY, type RetryPolicy } from '../fetch-original';
import { fetchGroup, WorkerStoppingError, type FetchGroupDeps } from '../fetch-group';
import { awaitFirstOccurrences, takeFromFirstOccurrence } from '../first-occurrence';
import { createOriginalRecorder } from '../original-recorder';
import { groupByUrl, type UrlGroup } from '../url-groups';

export { WorkerStoppingError } from '../fetch-group';

export type IngestDb = Pick<PrismaClient, '$transaction' | '$queryRaw' | 'batch' | 'chunk' | 'image'>;

export type IngestDeps = {
  prisma: IngestDb;
  store: Pick<ObjectStore, 'get' | 'put'>;
  fetcher: Pick<SafeFetcher, 'get'>;
  log: Logger;
  settings: Pick<Settings, 'FETCH_CONCURRENCY' | 'FETCH_TIMEOUT_MS' | 'QUEUE_MAX_ATTEMPTS'>;
  /** Recorded on the chunk row: which worker took it. */
  worker: string;
  /** Shared by every chunk this worker holds, so FETCH_CONCURRENCY bounds the worker, not each chunk. */
  limiter?: Limit;
  retry?: RetryPolicy;
  /** How long duplicates of a URL another chunk is fetching wait for it before fetching it themselves. */
  duplicateWaitMs?: number;
  /** How often the batch's status is looked at while a chunk runs (a pause or cancel stops taking new URLs). */
  statusCheckMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted when the worker stops: no new URLs (or retries) are taken, and the job is handed back for another delivery. */
  signal?: AbortSignal;
  /** Fetch and storage timings and bytes, images failed here (`pipelineMetrics(registry)`). */
  metrics?: Pick<PipelineMetrics, 'time' | 'bytes' | 'image'>;
};

export const makeIngestChunkHandler = (d: IngestDeps) => {
  const limit = d.limiter ?? pLimit(d.settings.FETCH_CONCURRENCY);
  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const duplicateWaitMs = d.duplicateWaitMs ?? d.settings.FETCH_TIMEOUT_MS + 10_000;
  const statusCheckMs = d.statusCheckMs ?? 1_000;
  const fetchDeps: FetchGroupDeps = {
    prisma: d.prisma,
    store: d.store,
    fetcher: d.fetcher,
    retry: d.retry ?? DEFAULT_FETCH_RETRY,
    sleep,
    ...(d.signal ? { signal: d.signal } : {}),
    ...(d.metrics ? { metrics: d.metrics } : {}),
  };

  /** The fetch slot holds the fetch and the storage write; recording waits for its flush outside it. */
  const fetchInSlot = async (run: ChunkRun, g: UrlGroup): Promise<void> => {
    const fetched = await limit(async () => ((await run.running()) ? fetchGroup(fetchDeps, run, g) : undefined));
    await fetched?.recorded;
  };

  /** Each URL once: from its first occurrence elsewhere when it has one, else fetched here. Answers those that wait. */
  const takeOrFetch = async (run: ChunkRun, groups: UrlGroup[]): Promise<UrlGroup[]> => {
    const waiting: UrlGroup[] = [];
    await settleAll(
      groups.map(async (g) => {
        const r = g.firstOccurrence ? await takeFromFirstOccurrence(d.prisma, run, g) : 'fetch';
        if (r === 'wait') waiting.push(g);
        if (r === 'fetch') await fetchInSlot(run, g);
      }),
    );
    return waiting;
  };

  return async (job: IngestChunkJob, ctx: JobContext): Promise<void> => {
    const log = d.log.child({ batchId: job.batchId, chunkId: job.chunkId, attempt: ctx.attempt });
    const chunk = await runnableChunk(d.prisma, job, log);
    if (!chunk) return;

    const startedAt = new Date();
    await takeChunk(d.prisma, chunk, d.worker, startedAt);
    const run: ChunkRun = {
      batchId: chunk.batchId,
      chunkId: chunk.id,
      log,
      recorder: createOriginalRecorder(d.prisma, { batchId: chunk.batchId, chunkId: chunk.id }),
      running: watchBatch(d.prisma, chunk.batchId, {
        everyMs: statusCheckMs,
        ...(d.signal ? { signal: d.signal } : {}),
      }),
    };

    try {
      const waiting = await takeOrFetch(run, await openUrlGroups(d, chunk, log));
      const late = await awaitFirstOccurrences(d.prisma, run, waiting, { waitMs: duplicateWaitMs, sleep });
      if (late.length > 0 && (await run.running())) await settleAll(late.map((g) => fetchInSlot(run, g)));

      await run.recorder.flush();
      const settled = await settleChunk(d.prisma, chunk.id);
      if (settled.open > 0 && d.signal?.aborted)
        throw new WorkerStoppingError('the worker is stopping; the rest of the chunk is left for another delivery');
      log.info(
        { ...settled, ms: Date.now() - startedAt.getTime() },
        settled.status === 'completed' ? 'chunk ingested' : 'chunk stopped',
      );
    } catch (err) {
      if (ctx.attempt < d.settings.QUEUE_MAX_ATTEMPTS || err instanceof WorkerStoppingError) throw err;
      // Last delivery: fail what is left so the batch can end, rather than holding it open forever.
      log.error({ err }, 'giving up on chunk after the last attempt');
      await failChunk(d.prisma, chunk, `ingesting the chunk failed ${ctx.attempt} times: ${(err as Error).message}`);
    }
  };
};

/** The job's chunk when there is work to do in it now; null (logged) when it is gone, done, or its batch not running. */
async function runnableChunk(prisma: IngestDb, job: IngestChunkJob, log: Logger): Promise<ChunkRow | null> {
  const chunk = await findChunk(prisma, job.chunkId);
  if (!chunk || chunk.batchId !== job.batchId) {
    log.warn('chunk not found (its batch was deleted?); nothing to do');
    return null;
  }
  if (chunk.status === 'completed' || chunk.status === 'failed') {
    log.debug({ status: chunk.status }, 'chunk already done');
    return null;
  }
  if (!isRunning(chunk.batch.status)) {
    // Paused or not started: the chunk stays pending and is queued again when the batch (re)starts.
    log.info({ batchStatus: chunk.batch.status }, 'batch not running; chunk left pending');
    return null;
  }
  return chunk;
}

/** The chunk's images from its manifest (created once), those still without an original marked fetching, by URL. */
async function openUrlGroups(d: IngestDeps, chunk: ChunkRow, log: Logger): Promise<UrlGroup[]> {
  const manifest = await readChunkManifest(d.store, chunk.batchId, chunk.seq);
  const columns = Array.isArray(chunk.batch.sourceColumns) ? chunk.batch.sourceColumns.map(String) : [];
  const { created } = await createChunkImages(d.prisma, chunk, chunkImageRows(manifest, columns));
  if (created > 0) log.debug({ created }, 'image rows created');
  const images = await openChunkImages(d.prisma, chunk.id);
  // One statement for the chunk rather than one per URL: these images are being fetched (or wait for a repeat).
  await markChunkFetching(d.prisma, chunk.id);
  return groupByUrl(images, manifest);
}

/** Waits for every task, then throws the first failure: no task is left running behind a thrown error. */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
