import request from 'supertest';
import { createPrisma } from '@pixmill/db';
import { startTcpRelay } from '@pixmill/db/testing';
import type { ObjectStore } from '@pixmill/storage';
import { createApp } from '../src';
import { dataOf, errorOf, startGateway, type TestGateway } from './support';

/** A store that is down: every call fails (health only calls check()). */
const downStore: ObjectStore = new Proxy({ kind: 's3' } as ObjectStore, {
  get: (target, prop) =>
    prop === 'kind' ? target.kind : () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')),
});

describe('health', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  it.each(['/health', '/healthz'])('%s reports database, queue and storage ok with 200', async (path) => {
    const res = await request(gw.app).get(path).expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'ok' }, queue: { status: 'ok' }, storage: { status: 'ok' } },
    });
  });

  it('/api/v1/health reports in seed 002 terms, in the envelope', async () => {
    const res = await request(gw.app).get('/api/v1/health').expect(200);
    expect(dataOf(res)).toMatchObject({
      status: 'healthy',
      database: 'connected',
      queue: 'connected',
      storage: 'connected',
      checks: { database: { status: 'ok' }, queue: { status: 'ok' }, storage: { status: 'ok' } },
    });
  });

  it('answers 503 naming the dependency that is down', async () => {
    const broken = await startGateway({ store: downStore });
    try {
      const res = await request(broken.app).get('/healthz').expect(503);
      expect(res.body.status).toBe('unavailable');
      expect(res.body.checks.storage).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:9' });
      expect(res.body.checks.database.status).toBe('ok');
      expect(res.body.checks.queue.status).toBe('ok');
      const api = errorOf(await request(broken.app).get('/api/v1/health').expect(503));
      expect(api).toMatchObject({ code: 'unavailable', details: { status: 'unhealthy' } });
      expect(api.details.checks.storage.status).toBe('down');
      // Still ready: storage is shared by every replica, and reads do not need it.
      expect((await request(broken.app).get('/readyz').expect(200)).body.checks).toEqual({
        database: expect.objectContaining({ status: 'ok' }),
      });
    } finally {
      await broken.close();
    }
  });

  it('is not ready while the database does not answer', async () => {
    const relay = await startTcpRelay({ host: '127.0.0.1', port: 5432 }, { paused: true });
    const prisma = createPrisma(relay.urlFor('postgresql://postgres@127.0.0.1:5432/postgres'), { max: 1 });
    try {
      const app = createApp({ ...gw.deps, prisma });
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body.status).toBe('unavailable');
      expect(res.body.checks.database.status).toBe('down');
      await request(app).get('/healthz').expect(503);
      // Alive all the same: liveness asks nothing of the database, so an outage does not restart the replicas.
      expect((await request(app).get('/livez').expect(200)).body).toEqual({ status: 'ok' });
    } finally {
      await prisma.$disconnect();
      await relay.close();
    }
  });
});

describe('health over RabbitMQ', () => {
  it('reports the broker ok when it answers', async () => {
    const gw = await startGateway({ queue: 'amqp' });
    try {
      const res = await request(gw.app).get('/healthz').expect(200);
      expect(res.body.checks.queue.status).toBe('ok');
    } finally {
      await gw.close();
    }
  });

  it('answers 503 when the broker is unreachable', async () => {
    // Port 9 (discard) on loopback: nothing listens there.
    const gw = await startGateway({ queue: 'amqp', amqpUrl: 'amqp://guest:guest@127.0.0.1:9' });
    try {
      const res = await request(gw.app).get('/healthz').expect(503);
      expect(res.body.checks.queue.status).toBe('down');
      expect(res.body.checks.database.status).toBe('ok');
      expect(res.body.checks.storage.status).toBe('ok');
      // Ready all the same: the broker is shared by every replica, and new batches wait in the outbox meanwhile.
      await request(gw.app).get('/readyz').expect(200);
      const u = await gw.createUser();
      await request(gw.app)
        .post('/api/v1/batches')
        .set('Authorization', `Bearer ${u.token}`)
        .send({ urls: ['http://images.example/a.jpg'] })
        .expect(202);
    } finally {
      await gw.close();
    }
  });
});

describe('metrics', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  it('exposes request durations labelled by route pattern, not raw path', async () => {
    const u = await gw.createUser();
    await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${u.token}`).expect(200);
    const id = '11111111-2222-4333-8444-555555555555';
    await request(gw.app).delete(`/api/v1/api-keys/${id}`).set('Authorization', `Bearer ${u.token}`).expect(404);
    await request(gw.app).get('/no/such/thing').expect(404);

    const res = await request(gw.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(
      /pixmill_http_request_duration_seconds_count\{[^}]*method="GET",route="\/api\/v1\/me",status="200"[^}]*\} 1/,
    );
    expect(text).toMatch(
      /pixmill_http_request_duration_seconds_count\{[^}]*method="DELETE",route="\/api\/v1\/api-keys\/:id",status="404"/,
    );
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/thing');
    // The process metrics of the shared registry come along.
    expect(text).toContain('pixmill_process_resident_memory_bytes');
  });
});
