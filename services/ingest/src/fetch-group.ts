// One URL of a chunk: fetch it (bounded, retried, SSRF-guarded), store the original under the first image's key and
// record it for every image of the URL; a URL that fails fails its images with the reason.
import { failChunkImages } from '@pixmill/batch-state';
import { originalKey } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { PipelineMetrics } from '@pixmill/observability';
import type { SafeFetcher } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import type { ChunkRun } from './chunk-run';
import { fetchOriginal, type RetryPolicy } from './fetch-original';
import type { UrlGroup } from './url-groups';

export type FetchGroupDeps = {
  prisma: Pick<PrismaClient, 'chunk' | '$queryRaw'>;
  store: Pick<ObjectStore, 'put'>;
  fetcher: Pick<SafeFetcher, 'get'>;
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  metrics?: Pick<PipelineMetrics, 'time' | 'bytes' | 'image'>;
};

/** Thrown when the worker stops mid-chunk, so the queue delivers the job again (to this or another worker). */
export class WorkerStoppingError extends Error {
  override readonly name = 'WorkerStoppingError';
}

/**
 * Fetches and stores the URL's original; `recorded` settles once it is recorded (after the caller released its
 * fetch slot: recording waits for the recorder's next flush).
 */
export async function fetchGroup(
  d: FetchGroupDeps,
  run: ChunkRun,
  g: UrlGroup,
): Promise<{ recorded: Promise<unknown> }> {
  const ids = g.images.map((i) => i.id);
  const time = <T>(stage: 'fetch' | 'storage_put' | 'db', work: () => Promise<T>) =>
    d.metrics ? d.metrics.time(stage, work) : work();

  const outcome = await time('fetch', () =>
    fetchOriginal(d.fetcher, g.url, {
      retry: d.retry,
      sleep: d.sleep,
      ...(d.signal ? { stopping: d.signal } : {}),
      stopped: () => new WorkerStoppingError('the worker is stopping; the URL is left for another delivery'),
    }),
  );
  if (!outcome.ok) {
    run.log.debug({ code: outcome.code, rows: g.images.map((i) => i.rowNumber) }, 'URL failed');
    const counted = await time('db', () => failChunkImages(d.prisma, run, ids, outcome.code, outcome.message));
    for (let i = 0; i < counted; i++) d.metrics?.image({ status: 'failed', code: outcome.code });
    return { recorded: Promise.resolve() };
  }
  const bytes = outcome.body.length;
  d.metrics?.bytes('fetch', bytes);
  const key = originalKey(run.batchId, ids[0]!, outcome.extension);
  await time('storage_put', () =>
    d.store.put(key, outcome.body, { contentType: outcome.contentType, contentLength: bytes }),
  );
  d.metrics?.bytes('storage_put', bytes);
  const recorded = time('db', () =>
    run.recorder.record(ids, { originalKey: key, contentType: outcome.contentType, bytes }),
  );
  // Awaited by the caller right after the fetch slot is released; this only keeps a failure from going unhandled.
  recorded.catch(() => undefined);
  return { recorded };
}
