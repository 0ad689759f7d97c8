// The plan of the cross-user route walk, shared by the gateway's ownership test and the abuse suite's tenancy
// cases: every documented route is walked with another user's credentials unless it is exempt here, with the reason.
import { randomUUID } from 'node:crypto';

/** Routes that are public or act only on the caller's own things. */
export const TENANCY_EXEMPT: Readonly<Record<string, string>> = {
  'get /api/v1/health': 'public health probe',
  'get /health': 'public health probe',
  'get /healthz': 'public health probe',
  'get /readyz': 'public readiness probe',
  'get /livez': 'public liveness probe',
  'get /metrics': 'public Prometheus endpoint',
  'get /api/v1/openapi.json': 'public API document',
  'get /docs': 'public docs page',
  'get /': 'web page shell (its data comes from the API, which is walked)',
  'get /new': 'web page shell',
  'get /system/status': 'web page shell',
  'get /admin': 'web page shell (admins only)',
  'get /signin': 'public sign-in page',
  'get /export/batch/{id}': 'a redirect to GET /api/v1/export/batch/{id}, which is walked',
  'get /export/template': 'a redirect to the static CSV template',
  'post /upload': "creates a batch of the caller's (seed 000, and the browser form)",
  'post /api/v1/auth/login': 'public: login',
  'post /api/auth/login': 'public: login (short form)',
  'post /api/v1/auth/session': 'public: browser sign-in',
  'get /api/v1/auth/session': "the caller's own browser session",
  'delete /api/v1/auth/session': "signs out the caller's own browser session",
  'get /api/v1/me': "the caller's own account",
  'get /api/v1/me/webhook': "the caller's own default webhook (checked in account-webhook.test.ts)",
  'put /api/v1/me/webhook': "sets the caller's own default webhook (checked in account-webhook.test.ts)",
  'delete /api/v1/me/webhook': "removes the caller's own default webhook (checked in account-webhook.test.ts)",
  'post /api/v1/api-keys': "creates a key of the caller's",
  'get /api/v1/api-keys': "lists the caller's keys (the victim's key is walked through DELETE /api-keys/{id})",
  'post /api/v1/batches': "creates a batch of the caller's",
  'get /api/v1/batches': "lists the caller's batches (the walk checks the victim's batch is not in it)",
  'post /api/upload': "creates a batch of the caller's (short form)",
  'post /api/v1/resize': "creates a job of the caller's",
  'post /api/resize': "creates a job of the caller's (seed 001)",
  'post /api/batch': "creates a job of the caller's (seed 001)",
  'get /api/v1/export/formats': 'static description',
  'get /api/v1/export/template': 'static CSV template',
  'get /api/v1/export/statistics': "the caller's own export log (checked in exports.test.ts)",
  'get /api/v1/system/stats': "counts of the caller's own batches (checked in system-admin.test.ts)",
  'get /api/v1/system/throughput': "counts of the caller's own images (checked in dashboard-api.test.ts)",
};

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type WalkStep = { route: string; method: Method; path: string; body?: object };
export type OpenApiDoc = { paths: Record<string, Record<string, unknown>> };

/** Every documented route as `<method> <path template>`. */
export const routesOf = (doc: OpenApiDoc): string[] =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));

/**
 * The requests of the walk: each non-exempt route aimed at the victim's batch (or API key), other ids random, and
 * a body for routes that name batches in the body or need one to act.
 */
export function tenancyWalk(routes: string[], victim: { batchId: string; apiKeyId: string }): WalkStep[] {
  const bodies: Record<string, object> = {
    'post /api/v1/export/batches/multiple': { batch_ids: [victim.batchId] },
    'post /api/v1/export/filtered': { batch_ids: [victim.batchId] },
    'post /api/v1/batches/{id}/force-start': { skip_validation: true },
    'post /api/v1/batches/{id}/clone': { copy_results: true },
    'post /api/v1/batches/{id}/soft-delete': { retention_days: 0 },
  };
  return routes
    .filter((route) => !(route in TENANCY_EXEMPT))
    .map((route) => {
      const method = route.slice(0, route.indexOf(' ')) as Method;
      const template = route.slice(route.indexOf(' ') + 1);
      const id = template.startsWith('/api/v1/api-keys/') ? victim.apiKeyId : victim.batchId;
      // A job id (seed 001) is a batch id too.
      const path = template
        .replace('{id}', id)
        .replace('{jobID}', victim.batchId)
        .replace(/\{[A-Za-z_]+\}/g, () => randomUUID());
      const sendsBody = method !== 'get' && method !== 'delete';
      return { route, method, path, ...(sendsBody ? { body: bodies[route] ?? {} } : {}) };
    });
}
