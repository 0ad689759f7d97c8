// Calling a vision provider as a good client does: a time limit per request, retries with backoff (waiting out a
// 429's Retry-After), rotating keys with caps per key, and a cache by content hash.
import type { DescribeResult } from '@pixmill/contracts';
import { ProviderError } from '../analysis.error';
import { KeyPool } from './key-pool';
import { cacheKey, type ProviderCache } from './provider-cache';
import type { VisionAdapter } from './provider';

export type ProviderClientOptions = {
  adapter: VisionAdapter;
  baseUrl: string;
  keys: readonly string[];
  timeoutMs: number;
  /** Attempts after the first for retryable failures. */
  retries: number;
  concurrencyPerKey: number;
  perMinutePerKey: number;
  maxAnswerBytes: number;
  cache: ProviderCache;
  /** First backoff; doubles each attempt (with jitter), capped at 30 s. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type ProviderClient = {
  readonly name: string;
  readonly model: string | null;
  describe(image: Buffer, contentHash: string): Promise<DescribeResult>;
};

export function providerClient(o: ProviderClientOptions): ProviderClient {
  const pool = new KeyPool(o.keys, { concurrency: o.concurrencyPerKey, perMinute: o.perMinutePerKey });
  const sleep = o.sleep ?? defaultSleep;
  const base = o.baseUrl.replace(/\/+$/, '');
  const { adapter } = o;

  return {
    name: adapter.name,
    model: adapter.model,
    async describe(image, contentHash) {
      const key = cacheKey(adapter.name, adapter.model, contentHash);
      const cached = await o.cache.get(key);
      if (cached) return { provider: adapter.name, model: adapter.model, ...cached, cache_hit: true };
      let last: ProviderError | undefined;
      for (let attempt = 0; attempt <= o.retries; attempt++) {
        const lease = await pool.acquire();
        const signal = AbortSignal.timeout(o.timeoutMs);
        try {
          const answer = await adapter.describe({
            baseUrl: base,
            key: lease.key,
            image,
            signal,
            maxAnswerBytes: o.maxAnswerBytes,
          });
          await o.cache.set(key, answer);
          return { provider: adapter.name, model: adapter.model, ...answer, cache_hit: false };
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          last = err;
          if (!err.retryable) throw err;
          if (err.retryAfterMs !== undefined) lease.coolDown(err.retryAfterMs);
        } finally {
          lease.release();
        }
        if (attempt < o.retries) {
          const backoff = Math.min(30_000, (o.backoffMs ?? 500) * 2 ** attempt);
          // A 429's Retry-After holds back only the key that got it (the pool waits it out); another key may go now.
          await sleep(backoff * (0.5 + Math.random() / 2));
        }
      }
      throw new ProviderError(last!.code, `${last!.message} (after ${o.retries + 1} attempts)`, false);
    },
  };
}
