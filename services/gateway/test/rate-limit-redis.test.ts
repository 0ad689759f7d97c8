// Rate limits shared through the machine's real Redis by several gateway replicas, and what happens when Redis is away.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { startTcpRelay } from '@pixmill/db/testing';
import { createApp } from '../src';
import { errorOf, startGateway, type TestGateway } from './support';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const target = new URL(REDIS_URL);

const gateways: TestGateway[] = [];
const prefixes: string[] = [];
/** A gateway replica; replicas started with the same prefix are one deployment. */
async function replica(prefix: string, redisUrl = REDIS_URL) {
  const gw = await startGateway({
    settings: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOGIN_RATE_LIMIT_PER_MINUTE: 3, RATE_LIMIT_PER_MINUTE: 5 },
  });
  gateways.push(gw);
  return gw;
}
const deployment = () => {
  const p = `rltest-${randomBytes(4).toString('hex')}`;
  prefixes.push(p);
  return p;
};
/** Another replica of `gw`'s deployment: its own app (and limiters) on the same database, Redis and settings. */
const sibling = (gw: TestGateway) => ({ app: createApp(gw.deps) });
const login = (gw: { app: TestGateway['app'] }) =>
  request(gw.app).post('/api/v1/auth/login').send({ username: 'victim', password: 'guess-guess' });

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});
afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:ratelimit:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('rate limits in Redis', () => {
  it('counts login attempts once across replicas, and keeps deployments apart', async () => {
    const a = await replica(deployment());
    const b = sibling(a);
    await login(a).expect(401);
    await login(b).expect(401);
    await login(a).expect(401);
    // The fourth attempt is over the budget of 3 whichever replica takes it.
    const res = await login(b).expect(429);
    expect(errorOf(res).code).toBe('rate_limited');
    await login(a).expect(429);
    // Another deployment on the same Redis has its own counters.
    await login(await replica(deployment())).expect(401);
  });

  it('shares the per-user API budget across replicas', async () => {
    const a = await replica(deployment());
    const b = sibling(a);
    const user = await a.createUser();
    const me = (gw: { app: TestGateway['app'] }) =>
      request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${user.token}`);
    for (const gw of [a, b, a, b, a]) await me(gw).expect(200);
    await me(b).expect(429);
  });

  it('counts per replica while Redis is unreachable, then shares counters again once it is back', async () => {
    // A loopback relay to the real Redis, not listening at first: the replica starts with Redis away.
    const relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) }, { paused: true });

    const prefix = deployment();
    const away = await replica(prefix, relay.urlFor(REDIS_URL));
    for (let i = 0; i < 3; i++) await login(away).expect(401);
    // Still limited (by this replica's own counters), and answered while Redis is still away: a limiter that waited
    // for Redis would hang here until the test's time-out, since the relay stays paused until below.
    await login(away).expect(429);

    // Redis reachable again: the replica's attempts land in the shared counters a second replica reads.
    await relay.resume();
    try {
      const direct = new Redis(REDIS_URL);
      const shared = async () => (await direct.keys(`${prefix}:ratelimit:login:*`)).length;
      const deadline = Date.now() + 15_000;
      while ((await shared()) === 0 && Date.now() < deadline) {
        await login(away); // reconnects are retried with backoff; each attempt after that counts in Redis
        await new Promise((r) => setTimeout(r, 300));
      }
      direct.disconnect();
      expect(Date.now()).toBeLessThan(deadline);
      const other = sibling(away);
      // The shared counter already holds the recovered replica's attempts: the other replica is over budget soon.
      let answered = 0;
      while ((await login(other)).status !== 429) answered++;
      expect(answered).toBeLessThan(3);
    } finally {
      await relay.close();
    }
  });
});
