// Tenancy: every route of the running app, read from its own OpenAPI document (which the gateway's tests prove
// equals the router stack), called by another user with the victim's ids. Each answers 404 or 403 and changes
// nothing. A new route is walked without anyone listing it; only routes that are public or act on the caller's own
// things are exempt, each with its reason, and an exemption for a route that no longer exists fails the suite.
import { routesOf, TENANCY_EXEMPT, tenancyWalk, type OpenApiDoc, type WalkStep } from '@pixmill/gateway/testing';
import { photo } from '../support/images';
import { jsonError } from './support/cases';
import { startAbuse, type Abuse, type Auth } from './support/harness';
import { readData } from '@pixmill/gateway/testing';

let a: Abuse;
let victim: Auth;
let mallory: Auth;
let malloryKey: string;
let victimBatch: string;
let victimKeyId: string;
let routes: string[];

// Filled by the walk in beforeAll, reported one case per route.
const answers = new Map<string, { jwt: string; key: string }>();

async function call(step: WalkStep, auth: Record<string, string>): Promise<string> {
  const res = await a.p.api(step.path, {
    method: step.method.toUpperCase(),
    headers: { ...auth, ...(step.body ? { 'content-type': 'application/json' } : {}) },
    ...(step.body ? { body: JSON.stringify(step.body) } : {}),
  });
  return jsonError(res);
}

beforeAll(async () => {
  a = await startAbuse('tenancy');
  victim = await a.p.userAuth('victim');
  mallory = await a.p.userAuth('mallory');
  malloryKey = ((await readData(await a.postJson('/api/v1/api-keys', { name: 'm' }, mallory))) as { key: string }).key;
  victimKeyId = ((await readData(await a.postJson('/api/v1/api-keys', { name: 'v' }, victim))) as { id: string }).id;
  const up = await a.upload(victim, [
    { name: 'a.jpg', data: await photo(64, 48), type: 'image/jpeg' },
    { name: 'b.jpg', data: await photo(48, 64), type: 'image/jpeg' },
  ]);
  victimBatch = ((await readData(up)) as { batch_id: string }).batch_id;
  await a.p.waitForBatch(victim, victimBatch);
  routes = routesOf((await (await a.p.api('/api/v1/openapi.json')).json()) as OpenApiDoc);
  for (const step of tenancyWalk(routes, { batchId: victimBatch, apiKeyId: victimKeyId })) {
    answers.set(step.route, {
      jwt: await call(step, mallory),
      key: await call(step, { 'X-API-Key': malloryKey }),
    });
  }
});
afterAll(() => a?.close());

describe('the route list', () => {
  it('is read from the running app and covers batches, exports and admin', async () => {
    await a.cases.check(
      'routes walked = documented routes not exempt (exemptions all exist)',
      'walked all, stale exemptions: none',
      async () => {
        const stale = Object.keys(TENANCY_EXEMPT).filter((r) => !routes.includes(r));
        const key = [
          'delete /api/v1/batches/{id}',
          'get /api/v1/export/batch/{id}',
          'post /api/v1/admin/batch/{id}/reset',
        ];
        const missing = key.filter((r) => !answers.has(r));
        const enough = answers.size > 25 && missing.length === 0;
        return `walked ${enough ? 'all' : `${answers.size} (missing ${missing.join(', ')})`}, stale exemptions: ${stale.join(', ') || 'none'}`;
      },
    );
  });
});

describe("another user's token and API key on every route", () => {
  // Names of the cases come from the route list, which exists only once the app runs: one test reports them all.
  it('answer 404 or 403', async () => {
    for (const [route, got] of answers) {
      // Any refusal as a JSON error: 404 not_found, 403 forbidden, or 403 invalid_signature from /files/ (a local-disk
      // download is authorised by its signature, which another user's credentials do not replace).
      const verdict = (s: string) => (/^(404|403) [a-z_]+$/.test(s) ? '404/403 JSON error' : s);
      await a.cases.check(
        route.replace(/^\w+/, (m) => m.toUpperCase()),
        'jwt 404/403 JSON error, api key 404/403 JSON error',
        async () => `jwt ${verdict(got.jwt)}, api key ${verdict(got.key)}`,
      );
    }
  });

  it("leave the victim's things as they were", async () => {
    await a.cases.check("victim's batch, outputs, key: unchanged after the walk", 'unchanged', async () => {
      const { db: prisma, store } = a.p;
      const batch = await prisma.batch.findUniqueOrThrow({
        where: { id: victimBatch },
        include: { images: { include: { outputs: true } } },
      });
      const outputs = batch.images.flatMap((i) => i.outputs);
      const present = await Promise.all(outputs.map((o) => store.head(o.storageKey)));
      const key = await prisma.apiKey.findUniqueOrThrow({ where: { id: victimKeyId } });
      const clones = await prisma.batch.count({ where: { clonedFromId: victimBatch } });
      const changed = [
        batch.status !== 'completed' && `status ${batch.status}`,
        batch.deletedAt && 'soft-deleted',
        batch.succeededImages !== 2 && `succeeded ${batch.succeededImages}`,
        present.some((h) => h === null) && 'outputs missing',
        outputs.length === 0 && 'no outputs',
        key.revokedAt && 'key revoked',
        clones > 0 && 'cloned',
      ].filter(Boolean);
      return changed.length ? changed.join(', ') : 'unchanged';
    });
  });

  it("do not list the victim's batch", async () => {
    await a.cases.check(
      "GET /api/v1/batches (also with soft-deleted) has no victim's batch",
      'total 0, 0',
      async () => {
        const totals: number[] = [];
        for (const q of ['', '?include_soft_deleted=true']) {
          totals.push(
            ((await readData(await a.p.api(`/api/v1/batches${q}`, { auth: mallory }))) as { total: number }).total,
          );
        }
        return `total ${totals.join(', ')}`;
      },
    );
  });
});
