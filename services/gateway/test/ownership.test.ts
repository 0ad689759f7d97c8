// Walks every route of the app, read from its OpenAPI document (which another suite proves equals the router
// stack), with another user's token aimed at the victim's batch: each must answer 404 or 403 and change nothing.
// A new route is walked automatically; one that is public or only about the caller's own things must be listed
// in TENANCY_EXEMPT (support/tenancy-walk.ts) with the reason.
import request from 'supertest';
import { bearer, seedBatch, type Seeded } from './batch-fixtures';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';
import { routesOf, TENANCY_EXEMPT, tenancyWalk } from './support/tenancy-walk';

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
  victimKeyId = dataOf(
    await request(gw.app).post('/api/v1/api-keys').set(bearer(victim.token)).send({ name: 'victim key' }).expect(201),
  ).id;
  routes = routesOf((await request(gw.app).get('/api/v1/openapi.json').expect(200)).body);
});
afterAll(() => gw?.close());

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
    expect(routes.filter((r) => !(r in TENANCY_EXEMPT)).length).toBeGreaterThan(25);
  });

  it('gets 404 or 403 from every non-exempt route, and changes nothing', async () => {
    const answers: Record<string, number> = {};
    for (const step of tenancyWalk(routes, { batchId: target.id, apiKeyId: victimKeyId })) {
      let req = request(gw.app)[step.method](step.path).set(bearer(mallory.token));
      if (step.body) req = req.send(step.body);
      answers[step.route] = (await req).status;
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
      expect(dataOf(res).total).toBe(0);
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
      expect(errorOf(res).code).toBe('forbidden');
    }
  });

  it('are open to an admin', async () => {
    const admin = await gw.createUser('admin');
    const res = await request(gw.app).get('/api/v1/admin/queue/status').set(bearer(admin.token)).expect(200);
    expect(dataOf(res).queues).toHaveProperty(['resize.image']);
  });
});
