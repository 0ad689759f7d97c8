// Where rate-limit counters live. Without REDIS_URL: in each gateway process's memory (one process, or the all-in-one
// laptop setup). With it: in Redis, shared by every replica, so N replicas still allow the configured budget, not N×.
import { Redis } from 'ioredis';
import { MemoryStore, type Options, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Settings } from '@pixmill/config';
import type { Logger } from '@pixmill/observability';

export type RateLimitStores = {
  /** A fresh store for one limiter (express-rate-limit refuses to share one); undefined means in memory. */
  forLimiter(name: string): Store | undefined;
  /** Where the counters are: Redis answering, Redis away (counting per replica meanwhile), or no Redis set. */
  state?(): 'connected' | 'disconnected' | 'not_configured';
  close(): Promise<void>;
};

/**
 * Redis counters, falling back to this process's own while Redis cannot answer: an outage weakens the limits to
 * per-replica ones instead of lifting them (login guessing stays bounded) or failing requests.
 */
class RedisWithLocalFallback implements Store {
  readonly localKeys = false;
  private readonly local = new MemoryStore();
  private scriptLost = false;

  constructor(private readonly redis: RedisStore) {}

  init(options: Options): void {
    this.local.init(options);
    // A Redis that is down at start is retried by increment() below.
    this.redis.init(options).catch(() => {
      this.scriptLost = true;
    });
  }

  async increment(key: string) {
    try {
      // The store loads its Lua script once, at start, and awaits that load on every call: after a failure it is
      // loaded again here, by the next call, so the first request once Redis is back counts there (a load started
      // while Redis was away would have failed and taken that request to the local counters too).
      if (this.scriptLost) {
        this.scriptLost = false;
        this.redis.incrementScriptSha = this.redis.loadIncrementScript();
      }
      return await this.redis.increment(key);
    } catch {
      this.scriptLost = true;
      return this.local.increment(key);
    }
  }

  async decrement(key: string) {
    await Promise.all([this.redis.decrement(key).catch(() => undefined), this.local.decrement(key)]);
  }

  async resetKey(key: string) {
    await Promise.all([this.redis.resetKey(key).catch(() => undefined), this.local.resetKey(key)]);
  }

  shutdown() {
    this.local.shutdown();
  }
}

export function createRateLimitStores(
  settings: Pick<Settings, 'REDIS_URL' | 'QUEUE_PREFIX'>,
  log: Logger,
): RateLimitStores {
  const url = settings.REDIS_URL;
  if (!url) return { forLimiter: () => undefined, state: () => 'not_configured', close: async () => undefined };

  const redis = new Redis(url, {
    // During the first connect attempt (at most 2 s) commands wait for it, so the first requests after start count
    // in Redis too. From then on a request never waits for Redis to come back: the command fails at once and the
    // local counters answer.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  const firstAttemptOver = () => {
    redis.options.enableOfflineQueue = false;
  };
  redis.once('ready', firstAttemptOver);
  redis.once('error', firstAttemptOver);
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return; // ioredis repeats the error on every reconnect attempt; once per outage is enough
    down = true;
    log.warn({ err: err.message }, 'rate-limit store (Redis) unreachable: counting per replica until it is back');
  });
  redis.on('ready', () => {
    if (down) log.info('rate-limit store (Redis) reachable again');
    down = false;
  });
  const stores: RedisWithLocalFallback[] = [];

  return {
    forLimiter: (name) => {
      const store = new RedisWithLocalFallback(
        new RedisStore({
          // Deployments sharing a Redis keep apart by the prefix that already keeps their queues apart.
          prefix: `${settings.QUEUE_PREFIX}:ratelimit:${name}:`,
          sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never>,
        }),
      );
      stores.push(store);
      return store;
    },
    state: () => (redis.status === 'ready' ? 'connected' : 'disconnected'),
    close: async () => {
      for (const s of stores) s.shutdown();
      redis.disconnect();
    },
  };
}
