// Login abuse: password spraying from one address across usernames, and a flood from many addresses that the rate
// limits do not stop, which the bound on bcrypt work answers instead.
import request from 'supertest';
import { createApp } from '../src/app';
import { createPasswordWork, PasswordWorkBusyError, type PasswordWork } from '../src/auth/password-work';
import { errorOf, startGateway, type TestGateway } from './support';

jest.setTimeout(60_000);

/** A PasswordWork that records how many hashes ran at once, at most, and how many ran in all. */
function observed(work: PasswordWork) {
  const seen = { max: 0, runs: 0 };
  const wrapped: PasswordWork = {
    get running() {
      return work.running;
    },
    get waiting() {
      return work.waiting;
    },
    run: (hash) =>
      work.run(async () => {
        seen.runs++;
        seen.max = Math.max(seen.max, work.running);
        return hash();
      }),
  };
  return { wrapped, seen };
}

describe('password spraying from one address', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      settings: {
        LOGIN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 5,
        LOGIN_RATE_LIMIT_PER_MINUTE: 10,
        TRUST_PROXY: 'loopback',
      },
    });
  });
  afterAll(() => gw?.close());
  const login = (from: string, username: string, password = 'Summer2026!') =>
    request(gw.app).post('/api/v1/auth/login').set('X-Forwarded-For', from).send({ username, password });

  it('answers 429 with Retry-After once an address has spent its failed attempts, whatever the usernames', async () => {
    const real = await gw.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login('198.51.100.7', `user-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    const refused = await login('198.51.100.7', real.username, real.password).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-policy']).toContain('"login-address"; q=5; w=60');
    // Another address is not held by that one's spraying.
    await login('198.51.100.8', real.username, real.password).expect(200);
  });

  it('does not count successful logins against the address, so users behind one address can all log in', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => gw.createUser()));
    for (const u of users) await login('198.51.100.20', u.username, u.password).expect(200);
  });
});

describe('the bound on bcrypt work', () => {
  it('runs at most PASSWORD_HASH_CONCURRENCY hashes at once; a login that would wait too long gets 503 Retry-After', async () => {
    const { wrapped, seen } = observed(createPasswordWork({ concurrency: 1, maxWaitMs: 400 }));
    const gw = await startGateway({ settings: { TRUST_PROXY: 'loopback' } });
    try {
      const app = createApp({ ...gw.deps, passwordWork: wrapped });
      const known = await gw.createUser();
      // 12 logins at once from 12 addresses (no rate limit applies), half for a real user, half for unknown ones.
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          request(app)
            .post('/api/v1/auth/login')
            .set('X-Forwarded-For', `203.0.113.${i + 1}`)
            .send({ username: i % 2 ? known.username : `nobody-${i}`, password: 'wrong-password' }),
        ),
      );
      expect(seen.max).toBe(1);
      const byStatus = (s: number) => answers.filter((a) => a.status === s);
      expect(byStatus(401).length + byStatus(503).length).toBe(12);
      expect(byStatus(401).length).toBeGreaterThanOrEqual(1);
      expect(byStatus(503).length).toBeGreaterThanOrEqual(1);
      for (const busy of byStatus(503)) {
        expect(errorOf(busy).code).toBe('busy');
        expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // Every answered login did its bcrypt compare in that line, known user or not.
      expect(seen.runs).toBe(byStatus(401).length);
    } finally {
      await gw.close();
    }
  });

  it('unknown users take the same path as known ones: one compare each, in the same line', async () => {
    const { wrapped, seen } = observed(createPasswordWork({ concurrency: 1, maxWaitMs: 10_000 }));
    const gw = await startGateway();
    try {
      const app = createApp({ ...gw.deps, passwordWork: wrapped });
      const known = await gw.createUser();
      await request(app)
        .post('/api/v1/auth/login')
        .send({ username: 'nobody-here', password: 'x-password' })
        .expect(401);
      expect(seen.runs).toBe(1);
      await request(app)
        .post('/api/v1/auth/login')
        .send({ username: known.username, password: 'x-password' })
        .expect(401);
      expect(seen.runs).toBe(2);
      await request(app)
        .post('/api/v1/auth/login')
        .send({ username: known.username, password: known.password })
        .expect(200);
      expect(seen.runs).toBe(3);
    } finally {
      await gw.close();
    }
  });
});

describe('createPasswordWork', () => {
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  };

  it('starts waiting work in arrival order as slots free, never more than the concurrency', async () => {
    const work = createPasswordWork({ concurrency: 2, maxWaitMs: 5_000 });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const done = gates.map((g, i) =>
      work.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect([work.running, work.waiting]).toEqual([2, 3]);
    gates[1]!.open();
    await done[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect([work.running, work.waiting]).toEqual([0, 0]);
  });

  it('refuses work that waited past maxWaitMs, and at once when the line is already longer than that', async () => {
    const work = createPasswordWork({ concurrency: 1, maxWaitMs: 50 });
    const g = gate();
    const first = work.run(() => g.opened);
    const waited = work.run(async () => 'never');
    await expect(waited).rejects.toBeInstanceOf(PasswordWorkBusyError);
    expect(work.waiting).toBe(0);
    // The guess of one hash (250 ms until measured) already exceeds 50 ms for anyone behind a waiter.
    const second = work.run(async () => 'queued');
    const third = work.run(async () => 'refused');
    await expect(third).rejects.toMatchObject({ status: 503, code: 'busy', retryAfterSeconds: 1 });
    g.open();
    await first;
    await expect(second).resolves.toBe('queued');
  });
});
