// Walks every route of the app, read from its OpenAPI document (which another suite proves equals the router
// stack), with another user's token aimed at the victim's batch: each must answer 404 or 403 and change nothing.
// A new route is walked automatically; one that is public or only about the caller's own things must be listed
// in EXEMPT with the reason.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, seedBatch, type Seeded } from './batch-fixtures';
import { startGateway, type TestGateway, type TestUser } from './support';

const EXEMPT: Record<string, string> = {
  'get /api/v1/health': 'public health probe',
  'get /health': 'public health probe',
  'get /healthz': 'public health probe',
  'get /metrics': 'public Prometheus endpoint',
  'get /api/v1/openapi.json': 'public API document',
  'get /docs': 'public docs page',
  'post /api/v1/auth/login': 'public: login',
  'post /api/auth/login': 'public: login (short form)',
  'get /api/v1/me': "the caller's own account",
  'post /api/v1/api-keys': "creates a key of the caller's",
  'get /api/v1/api-keys': "lists the caller's keys (the victim's key is checked through DELETE /api-keys/{id})",
  'post /api/v1/batches': "creates a batch of the caller's",
  'get /api/v1/batches': "lists the caller's batches (checked below: the victim's batch is not in it)",
  'post /api/upload': "creates a batch of the caller's (short form)",
  'post /api/v1/resize': "creates a job of the caller's",
  'get /api/v1/export/formats': 'static description',
  'get /api/v1/export/template': 'static CSV template',
  'get /api/v1/export/statistics': "the caller's own export log (checked in exports.test.ts)",
  'get /api/v1/system/stats': "counts of the caller's own batches (checked in system-admin.test.ts)",
};

/** Bodies for routes that name batches in the body rather than the path. */
const bodies = (victimBatch: string): Record<string, object> => ({
  'post /api/v1/export/batches/multiple': { batch_ids: [victimBatch] },
  'post /api/v1/export/filtered': { batch_ids: [victimBatch] },
  'post /api/v1/batches/{id}/force-start': { skip_validation: true },
  'post /api/v1/batches/{id}/clone': { copy_results: true },
  'post /api/v1/batches/{id}/soft-delete': { retention_days: 0 },
});

type Doc = { paths: Record<string, Record<string, { security?: unknown[] }>> };

let gw: TestGateway;
let victim: TestUser;
let mallory: TestUser;
let target: Seeded;
let victimKeyId: string;
let routes: string[];

beforeAll(async () => {
  gw = await startGateway();
  victim = await gw.createUser();
  mallory = await gw.createUser();
  target = await seedBatch(gw, victim.id, {
    status: 'completed',
    webhookUrl: 'https://receiver.example/hook',
    images: [{ status: 'succeeded' }, { status: 'failed' }],
  });
  victimKeyId = (
    await request(gw.app).post('/api/v1/api-keys').set(bearer(victim.token)).send({ name: 'victim key' }).expect(201)
  ).body.id;
  const doc = (await request(gw.app).get('/api/v1/openapi.json').expect(200)).body as Doc;
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
});
afterAll(() => gw?.close());

function concretePath(route: string): string {
  const path = route.slice(route.indexOf(' ') + 1);
  const id = path.startsWith('/api/v1/api-keys/') ? victimKeyId : target.id;
  return path.replace('{id}', id).replace(/\{[A-Za-z_]+\}/g, () => randomUUID());
}

describe("another user's token", () => {
  it('walks a route list that includes the batch, export and admin routes', () => {
    // Guards the walk itself: a broken document would make the next test pass vacuously.
    expect(routes).toEqual(
      expect.arrayContaining([
        'delete /api/v1/batches/{id}',
        'post /api/v1/batches/{id}/cancel',
        'get /api/v1/export/batch/{id}',
        'post /api/v1/admin/batch/{id}/reset',
      ]),
    );
    expect(routes.filter((r) => !(r in EXEMPT)).length).toBeGreaterThan(25);
  });

  it('gets 404 or 403 from every non-exempt route, and changes nothing', async () => {
    const answers: Record<string, number> = {};
    const body = bodies(target.id);
    for (const route of routes.filter((r) => !(r in EXEMPT))) {
      const method = route.slice(0, route.indexOf(' ')) as 'get' | 'post' | 'delete' | 'put' | 'patch';
      let req = request(gw.app)[method](concretePath(route)).set(bearer(mallory.token));
      if (method !== 'get' && method !== 'delete') req = req.send(body[route] ?? {});
      answers[route] = (await req).status;
    }
    const wrong = Object.entries(answers).filter(([, status]) => status !== 404 && status !== 403);
    expect(wrong).toEqual([]);

    // Nothing happened to the victim's things.
    const after = await gw.deps.prisma.batch.findUniqueOrThrow({ where: { id: target.id } });
    expect(after).toMatchObject({ status: 'completed', deletedAt: null, processedImages: 2, failedImages: 1 });
    expect(await gw.deps.store.head(target.originalKeys[0]!)).not.toBeNull();
    expect(await gw.deps.prisma.batch.count({ where: { clonedFromId: target.id } })).toBe(0);
    expect((await gw.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: victimKeyId } })).revokedAt).toBeNull();
    expect(await gw.deps.prisma.exportLog.count({ where: { userId: mallory.id } })).toBe(0);
  });

  it("does not see the victim's batch in the list, with or without soft-deleted ones", async () => {
    for (const q of ['', '?include_soft_deleted=true']) {
      const res = await request(gw.app).get(`/api/v1/batches${q}`).set(bearer(mallory.token)).expect(200);
      expect(res.body.total).toBe(0);
    }
  });
});

describe('admin routes', () => {
  const adminRoutes = () => routes.filter((r) => r.includes('/api/v1/admin/') || r === 'post /api/v1/users');

  it('answer 403 to a user, even for their own batch', async () => {
    const own = await seedBatch(gw, mallory.id, { status: 'processing' });
    expect(adminRoutes().length).toBeGreaterThanOrEqual(4);
    for (const route of adminRoutes()) {
      const method = route.slice(0, route.indexOf(' ')) as 'get' | 'post';
      const path = route.slice(route.indexOf(' ') + 1).replace('{id}', own.id);
      const res = await request(gw.app)[method](path).set(bearer(mallory.token)).send({});
      expect([route, res.status]).toEqual([route, 403]);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('are open to an admin', async () => {
    const admin = await gw.createUser('admin');
    const res = await request(gw.app).get('/api/v1/admin/queue/status').set(bearer(admin.token)).expect(200);
    expect(res.body.queues).toHaveProperty(['resize.image']);
  });
});
