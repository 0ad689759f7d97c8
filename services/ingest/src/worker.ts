import { hostname } from 'node:os';
import type { Settings } from '@pixmill/config';
import { pipelineMetrics } from '@pixmill/observability';
import type { Clients } from '@pixmill/runtime';
import { createSafeFetcher, type Lookup, type SafeFetcher } from '@pixmill/safe-fetch';
import type { RetryPolicy } from './fetch-original';
import { makeIngestChunkHandler } from './handlers/ingest-chunk.handler';
import pLimit from 'p-limit';

export type IngestWorkerOptions = {
  /** DNS for image URLs; tests point names at private addresses with it (no traffic is sent to them). */
  lookup?: Lookup;
  retry?: RetryPolicy;
};

/** The fetcher every image URL goes through: FETCH_ALLOW_HOSTS, the fetch timeouts and the upload size cap. */
export function createImageFetcher(
  settings: Pick<
    Settings,
    'FETCH_ALLOW_HOSTS' | 'FETCH_CONNECT_TIMEOUT_MS' | 'FETCH_TIMEOUT_MS' | 'FETCH_MAX_REDIRECTS' | 'MAX_FILE_BYTES'
  >,
  lookup?: Lookup,
): SafeFetcher {
  return createSafeFetcher({
    allowHosts: settings.FETCH_ALLOW_HOSTS,
    connectTimeoutMs: settings.FETCH_CONNECT_TIMEOUT_MS,
    timeoutMs: settings.FETCH_TIMEOUT_MS,
    maxBytes: settings.MAX_FILE_BYTES,
    maxRedirects: settings.FETCH_MAX_REDIRECTS,
    userAgent: 'pixmill-ingest/0.1',
    ...(lookup ? { lookup } : {}),
  });
}

export async function startIngestWorker(c: Clients, o: IngestWorkerOptions = {}): Promise<{ stop(): Promise<void> }> {
  const fetcher = createImageFetcher(c.settings, o.lookup);
  const stopping = new AbortController();
  const handler = makeIngestChunkHandler({
    prisma: c.prisma,
    store: c.store,
    fetcher,
    log: c.log.child({ worker: 'ingest' }),
    settings: c.settings,
    worker: `${hostname()}/${process.pid}`,
    // One budget for the worker: with two chunks held, the next chunk's fetches start while the last one's finish.
    limiter: pLimit(c.settings.FETCH_CONCURRENCY),
    signal: stopping.signal,
    metrics: pipelineMetrics(c.registry),
    ...(o.retry ? { retry: o.retry } : {}),
  });
  const consumer = await c.transport.consume('ingest.chunk', handler, { prefetch: 2 });
  return {
    stop: async () => {
      stopping.abort();
      await consumer.cancel();
      await fetcher.close();
    },
  };
}
