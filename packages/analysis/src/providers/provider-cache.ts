// Provider answers by content hash: the same bytes are not sent (or paid for) twice.
import type { ProviderAnswer } from './provider';

export type ProviderCache = {
  get(key: string): Promise<ProviderAnswer | undefined>;
  set(key: string, answer: ProviderAnswer): Promise<void>;
};

/** A bounded in-process cache (least recently used goes first), for one process or tests. */
export function memoryProviderCache(max = 10_000): ProviderCache {
  const entries = new Map<string, ProviderAnswer>();
  return {
    async get(key) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    async set(key, answer) {
      entries.delete(key);
      entries.set(key, answer);
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
  };
}

export const cacheKey = (provider: string, model: string | null, contentHash: string) =>
  `${provider}:${model ?? '-'}:${contentHash}`;
