// One chunk of a URL batch: create its image rows, fetch each distinct URL once (bounded, retried, SSRF-guarded),
// store the original and publish its resize job in the transaction that records it; fail bad URLs with a reason.
//
// Idempotent: image rows are created once per chunk; an image leaves `pending`/`fetching` exactly once (to `pending`
// with an original, or `failed`), guarded by the state it leaves, so a redelivered job fetches only what is still
// open and counts nothing twice.
import {
  failChunk,
  finishImage,
  markChunkFetching,
  RUNNING_BATCH_STATUSES,
  settleChunk,
  takeChunk,
  UNTAKEN_IMAGE_STATUSES,
} from '@pixmill/batch-state';
import type { Settings } from '@pixmill/config';
import { asFailureCode, originalKey, type ImageFailureCode, type IngestChunkJob } from '@pixmill/contracts';
import type { BatchStatus, PrismaClient } from '@pixmill/db';
import type { Logger, PipelineMetrics } from '@pixmill/observability';
import type { JobContext } from '@pixmill/queue';
import type { SafeFetcher } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import { ensureChunkImages } from '../chunk-images';
import type { ChunkManifest } from '@pixmill/contracts';
import { readChunkManifest } from '../chunk-manifest';
import { DEFAULT_FETCH_RETRY, fetchOriginal, type RetryPolicy } from '../fetch-original';
import pLimit, { type Limit } from 'p-limit';
import { createOriginalRecorder, type OriginalRecorder } from '../original-recorder';

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

/** Thrown when the worker stops mid-chunk, so the queue delivers the job again (to this or another worker). */
export class WorkerStoppingError extends Error {
  override readonly name = 'WorkerStoppingError';
}

const RUNNING: ReadonlySet<BatchStatus> = new Set(RUNNING_BATCH_STATUSES);
/** Images of the chunk still without an original. */
const OPEN = UNTAKEN_IMAGE_STATUSES;
const DUPLICATE_POLL_MS = 250;

type OpenImage = { id: string; rowNumber: number | null; urlIndex: number; sourceUrl: string | null };
/** Images of one URL within the chunk: fetched once here, or taken from where the URL first occurs. */
type UrlGroup = { url: string; images: OpenImage[]; firstOccurrence?: readonly [number, number] };

export const makeIngestChunkHandler = (d: IngestDeps) => {
  const limit = d.limiter ?? pLimit(d.settings.FETCH_CONCURRENCY);
  const retry = d.retry ?? DEFAULT_FETCH_RETRY;
  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const duplicateWaitMs = d.duplicateWaitMs ?? d.settings.FETCH_TIMEOUT_MS + 10_000;
  const statusCheckMs = d.statusCheckMs ?? 1_000;

  return async (job: IngestChunkJob, ctx: JobContext): Promise<void> => {
    const log = d.log.child({ batchId: job.batchId, chunkId: job.chunkId, attempt: ctx.attempt });
    const chunk = await d.prisma.chunk.findUnique({
      where: { id: job.chunkId },
      include: { batch: { select: { status: true, sourceColumns: true } } },
    });
    if (!chunk || chunk.batchId !== job.batchId)
      return void log.warn('chunk not found (its batch was deleted?); nothing to do');
    if (chunk.status === 'completed' || chunk.status === 'failed')
      return void log.debug({ status: chunk.status }, 'chunk already done');
    if (!RUNNING.has(chunk.batch.status)) {
      // Paused or not started: the chunk stays pending and is queued again when the batch (re)starts.
      return void log.info({ batchStatus: chunk.batch.status }, 'batch not running; chunk left pending');
    }

    const startedAt = new Date();
    await takeChunk(d.prisma, chunk, d.worker, startedAt);

    // A pause or cancel stops taking new URLs within about statusCheckMs; fetches in flight finish.
    let checkedAt = Date.now();
    let running = true;
    const stillRunning = async (): Promise<boolean> => {
      if (d.signal?.aborted) return false;
      if (!running || Date.now() - checkedAt < statusCheckMs) return running;
      checkedAt = Date.now();
      const b = await d.prisma.batch.findUnique({ where: { id: chunk.batchId }, select: { status: true } });
      running = b !== null && RUNNING.has(b.status);
      return running;
    };

    try {
      const manifest = await readChunkManifest(d.store, chunk.batchId, chunk.seq);
      const columns = Array.isArray(chunk.batch.sourceColumns) ? chunk.batch.sourceColumns.map(String) : [];
      const { created } = await ensureChunkImages(d.prisma, chunk, manifest, columns);
      if (created > 0) log.debug({ created }, 'image rows created');

      const images = await d.prisma.image.findMany({
        where: { chunkId: chunk.id, status: { in: [...OPEN] }, originalKey: null },
        select: { id: true, rowNumber: true, urlIndex: true, sourceUrl: true },
        orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }],
      });
      // One statement for the chunk rather than one per URL: these images are being fetched (or wait for a repeat).
      await markChunkFetching(d.prisma, chunk.id);
      const groups = groupByUrl(images, manifest);
      const recorder = createOriginalRecorder(d.prisma, { batchId: chunk.batchId, chunkId: chunk.id });
      const chunkCtx = { batchId: chunk.batchId, chunkId: chunk.id, recorder };

      const waiting: UrlGroup[] = [];
      await settleAll(
        groups.map(async (g) => {
          if (g.firstOccurrence) {
            const r = await takeFromFirstOccurrence(d.prisma, chunkCtx, g);
            if (r === 'wait') waiting.push(g);
            if (r !== 'fetch') return;
          }
          // The slot is the fetch and the storage write; recording waits for its batch outside it.
          const fetched = await limit(async () =>
            (await stillRunning())
              ? fetchGroup(d, chunkCtx, { url: g.url, images: g.images }, { retry, sleep, log })
              : undefined,
          );
          await fetched?.recorded;
        }),
      );

      // Duplicates of URLs another chunk is fetching right now: wait for that, then fetch them here if it never lands.
      const deadline = Date.now() + duplicateWaitMs;
      let pending = waiting;
      const fetchNow: UrlGroup[] = [];
      while (pending.length > 0 && Date.now() < deadline && (await stillRunning())) {
        await sleep(DUPLICATE_POLL_MS);
        const still: UrlGroup[] = [];
        for (const g of pending) {
          const r = await takeFromFirstOccurrence(d.prisma, chunkCtx, g);
          if (r === 'wait') still.push(g);
          if (r === 'fetch') fetchNow.push(g);
        }
        pending = still;
      }
      if (pending.length > 0)
        log.warn(
          { urls: pending.length },
          'the first occurrence of some URLs never got an original; fetching them here',
        );
      pending.push(...fetchNow);
      if (pending.length > 0 && (await stillRunning())) {
        await settleAll(
          pending.map(async (g) => {
            const fetched = await limit(async () =>
              (await stillRunning())
                ? fetchGroup(d, chunkCtx, { url: g.url, images: g.images }, { retry, sleep, log })
                : undefined,
            );
            await fetched?.recorded;
          }),
        );
      }

      await recorder.flush();
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

/** Waits for every task, then throws the first failure: no task is left running behind a thrown error. */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Groups open images by URL. A group whose URL first occurs earlier in the batch (another chunk, or an image of this
 * chunk already done) takes that occurrence's original instead of fetching. */
function groupByUrl(images: OpenImage[], manifest: ChunkManifest): UrlGroup[] {
  const firstOf = new Map<string, readonly [number, number] | undefined>();
  for (const r of manifest.rows) r.urls.forEach((u, i) => firstOf.set(`${r.row}:${i}`, u.dupOf));
  const groups = new Map<string, UrlGroup>();
  for (const img of images) {
    const url = img.sourceUrl ?? '';
    const dupOf = firstOf.get(`${img.rowNumber}:${img.urlIndex}`);
    let g = groups.get(url);
    if (!g) groups.set(url, (g = { url, images: [], ...(dupOf ? { firstOccurrence: dupOf } : {}) }));
    g.images.push(img);
    // The first occurrence itself is open here: this chunk fetches the URL.
    if (!dupOf) delete g.firstOccurrence;
  }
  return [...groups.values()];
}

type ChunkCtx = { batchId: string; chunkId: string; recorder: OriginalRecorder };

async function fetchGroup(
  d: IngestDeps,
  c: ChunkCtx,
  g: UrlGroup,
  o: { retry: RetryPolicy; sleep: (ms: number) => Promise<void>; log: Logger },
): Promise<{ recorded: Promise<unknown> }> {
  const ids = g.images.map((i) => i.id);
  const time = <T>(stage: 'fetch' | 'storage_put' | 'db', work: () => Promise<T>) =>
    d.metrics ? d.metrics.time(stage, work) : work();

  const outcome = await time('fetch', () =>
    fetchOriginal(d.fetcher, g.url, {
      retry: o.retry,
      sleep: o.sleep,
      ...(d.signal ? { stopping: d.signal } : {}),
      stopped: () => new WorkerStoppingError('the worker is stopping; the URL is left for another delivery'),
    }),
  );
  if (!outcome.ok) {
    o.log.debug({ code: outcome.code, rows: g.images.map((i) => i.rowNumber) }, 'URL failed');
    const counted = await time('db', () => failImages(d.prisma, c, ids, outcome.code, outcome.message));
    for (let i = 0; i < counted; i++) d.metrics?.image({ status: 'failed', code: outcome.code });
    return { recorded: Promise.resolve() };
  }
  d.metrics?.bytes('fetch', outcome.body.length);
  const key = originalKey(c.batchId, ids[0]!, outcome.extension);
  await time('storage_put', () =>
    d.store.put(key, outcome.body, { contentType: outcome.contentType, contentLength: outcome.body.length }),
  );
  d.metrics?.bytes('storage_put', outcome.body.length);
  const recorded = time('db', () =>
    c.recorder.record(ids, { originalKey: key, contentType: outcome.contentType, bytes: outcome.body.length }),
  );
  // Awaited by the caller right after the fetch slot is released; this only keeps a failure from going unhandled.
  recorded.catch(() => undefined);
  return { recorded };
}

/**
 * Gives the images the original of the URL's first occurrence: `done` when it had one (or failed fetching, and so
 * do these), `wait` while it is still being fetched or its chunk has not created it yet, `fetch` when the image
 * there has another URL (the gateway finds repeats by a hash of the URL, and hashes can collide).
 */
async function takeFromFirstOccurrence(prisma: IngestDb, c: ChunkCtx, g: UrlGroup): Promise<'done' | 'wait' | 'fetch'> {
  const [row, urlIndex] = g.firstOccurrence!;
  const first = await prisma.image.findFirst({
    where: { batchId: c.batchId, rowNumber: row, urlIndex },
    select: {
      sourceUrl: true,
      status: true,
      originalKey: true,
      contentType: true,
      bytes: true,
      errorCode: true,
      errorMessage: true,
    },
  });
  if (first && first.sourceUrl !== g.url) return 'fetch';
  if (first?.originalKey) {
    await c.recorder.record(
      g.images.map((i) => i.id),
      { originalKey: first.originalKey, contentType: first.contentType, bytes: first.bytes },
    );
    return 'done';
  }
  if (first?.status === 'failed') {
    await failImages(
      prisma,
      c,
      g.images.map((i) => i.id),
      asFailureCode(first.errorCode) ?? 'fetch_failed',
      first.errorMessage ?? 'the same URL failed earlier in this batch',
    );
    return 'done';
  }
  if (first?.status === 'cancelled') return 'done';
  return 'wait';
}

/** Fails the images (each counted once by finishImage); answers how many this call ended. */
async function failImages(
  prisma: IngestDb,
  c: ChunkCtx,
  imageIds: string[],
  code: ImageFailureCode,
  message: string,
): Promise<number> {
  let counted = 0;
  for (const id of imageIds) {
    const r = await finishImage(prisma, c.batchId, id, { status: 'failed', code, message });
    if (r.counted) counted++;
  }
  // Live progress only; settleChunk recounts from the images when the chunk ends.
  if (counted > 0) await prisma.chunk.update({ where: { id: c.chunkId }, data: { failed: { increment: counted } } });
  return counted;
}
