// The gateway's Redis rate-limit store with its local fallback, on the machine's real Redis behind a loopback relay
// the test takes away and gives back.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Options } from 'express-rate-limit';
import { startTcpRelay, type TcpRelay } from '@pixmill/db/testing';
import { createLogger } from '@pixmill/observability';
import { createRateLimitStores, type RateLimitStores } from '../src/http/rate-limit-store';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const target = new URL(REDIS_URL);

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('rate-limit store (Redis, local while it is away)', () => {
  const prefix = `rlstore-${randomBytes(4).toString('hex')}`;
  const direct = new Redis(REDIS_URL);
  let relay: TcpRelay;
  let stores: RateLimitStores;
  afterAll(async () => {
    await stores?.close();
    await relay?.close();
    const keys = await direct.keys(`${prefix}:*`);
    if (keys.length > 0) await direct.del(...keys);
    direct.disconnect();
  });

  it('counts in Redis again from the first request once Redis is back', async () => {
    relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    const log = createLogger('rate-limit-store-test', 'silent');
    const said: string[] = [];
    log.info = ((msg: unknown) => void said.push(String(msg))) as typeof log.info;
    stores = createRateLimitStores({ REDIS_URL: relay.urlFor(REDIS_URL), QUEUE_PREFIX: prefix }, log);
    const store = stores.forLimiter('api')!;
    store.init!({ windowMs: 60_000 } as Options);
    const inRedis = async () => Number(await direct.get(`${prefix}:ratelimit:api:k`));

    await until('the first count in Redis', async () => (await store.increment('k')).totalHits === 1);
    expect(await inRedis()).toBe(1);

    // Away: counted here, twice.
    await relay.pause();
    expect((await store.increment('k')).totalHits).toBe(1);
    expect((await store.increment('k')).totalHits).toBe(2);
    expect(await inRedis()).toBe(1);

    // Back (the store says so): the very next request counts in Redis, not a third time here.
    await relay.resume();
    await until('the store to reach Redis again', () => said.includes('rate-limit store (Redis) reachable again'));
    expect((await store.increment('k')).totalHits).toBe(2);
    expect(await inRedis()).toBe(2);
  });
});
