// Tenancy: every route of the running app, read from its own OpenAPI document (which the gateway's tests prove
// equals the router stack), called by another user with the victim's ids. Each answers 404 or 403 and changes
// nothing. A new route is walked without anyone listing it; only routes that are public or act on the caller's own
// things are exempt, each with its reason, and an exemption for a route that no longer exists fails the suite.
import { randomUUID } from 'node:crypto';
import { photo } from '../support/images';
import { jsonError } from './support/cases';
import { startAbuse, type Abuse, type Auth } from './support/harness';

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
  'get /api/v1/api-keys': "lists the caller's keys (the victim's key is walked through DELETE /api-keys/{id})",
  'post /api/v1/batches': "creates a batch of the caller's",
  'get /api/v1/batches': "lists the caller's batches (checked below: the victim's batch is not in it)",
  'post /api/upload': "creates a batch of the caller's (short form)",
  'post /api/v1/resize': "creates a job of the caller's",
  'get /api/v1/export/formats': 'static description',
  'get /api/v1/export/template': 'static CSV template',
  'get /api/v1/export/statistics': "the caller's own export log",
  'get /api/v1/system/stats': "counts of the caller's own batches",
};

/** Bodies for routes that name batches in the body rather than the path. */
const bodies = (victimBatch: string): Record<string, object> => ({
  'post /api/v1/export/batches/multiple': { batch_ids: [victimBatch] },
  'post /api/v1/export/filtered': { batch_ids: [victimBatch] },
  'post /api/v1/batches/{id}/force-start': { skip_validation: true },
  'post /api/v1/batches/{id}/clone': { copy_results: true },
  'post /api/v1/batches/{id}/soft-delete': { retention_days: 0 },
});

type Doc = { paths: Record<string, Record<string, unknown>> };
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

let a: Abuse;
let victim: Auth;
let mallory: Auth;
let malloryKey: string;
let victimBatch: string;
let victimKeyId: string;
let routes: string[];

// Filled by the walk in beforeAll, reported one case per route.
const answers = new Map<string, { jwt: string; key: string }>();

const pathOf = (route: string) => route.slice(route.indexOf(' ') + 1);
const methodOf = (route: string) => route.slice(0, route.indexOf(' ')) as Method;

function concretePath(route: string): string {
  const path = pathOf(route);
  const id = path.startsWith('/api/v1/api-keys/') ? victimKeyId : victimBatch;
  return path.replace('{id}', id).replace(/\{[A-Za-z_]+\}/g, () => randomUUID());
}

async function call(route: string, auth: Record<string, string>): Promise<string> {
  const method = methodOf(route);
  const body = bodies(victimBatch)[route];
  const res = await a.p.api(concretePath(route), {
    method: method.toUpperCase(),
    headers: { ...auth, ...(method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' }) },
    ...(method === 'get' || method === 'delete' ? {} : { body: JSON.stringify(body ?? {}) }),
  });
  return jsonError(res);
}

beforeAll(async () => {
  a = await startAbuse('tenancy');
  victim = await a.p.userAuth('victim');
  mallory = await a.p.userAuth('mallory');
  malloryKey = ((await (await a.postJson('/api/v1/api-keys', { name: 'm' }, mallory)).json()) as { key: string }).key;
  victimKeyId = ((await (await a.postJson('/api/v1/api-keys', { name: 'v' }, victim)).json()) as { id: string }).id;
  const up = await a.upload(victim, [
    { name: 'a.jpg', data: await photo(64, 48), type: 'image/jpeg' },
    { name: 'b.jpg', data: await photo(48, 64), type: 'image/jpeg' },
  ]);
  victimBatch = ((await up.json()) as { batch_id: string }).batch_id;
  await a.p.waitForBatch(victim, victimBatch);
  const doc = (await (await a.p.api('/api/v1/openapi.json')).json()) as Doc;
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
  for (const route of routes.filter((r) => !(r in EXEMPT))) {
    answers.set(route, {
      jwt: await call(route, mallory),
      key: await call(route, { 'X-API-Key': malloryKey }),
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
        const stale = Object.keys(EXEMPT).filter((r) => !routes.includes(r));
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
      const verdict = (s: string) => (s === '404 not_found' || s === '403 forbidden' ? '404/403 JSON error' : s);
      await a.cases.check(
        `${methodOf(route).toUpperCase()} ${pathOf(route)}`,
        'jwt 404/403 JSON error, api key 404/403 JSON error',
        async () => `jwt ${verdict(got.jwt)}, api key ${verdict(got.key)}`,
      );
    }
  });

  it("leave the victim's things as they were", async () => {
    await a.cases.check("victim's batch, outputs, key: unchanged after the walk", 'unchanged', async () => {
      const { prisma, store } = a.p.app.clients;
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
            ((await (await a.p.api(`/api/v1/batches${q}`, { auth: mallory })).json()) as { total: number }).total,
          );
        }
        return `total ${totals.join(', ')}`;
      },
    );
  });
});
