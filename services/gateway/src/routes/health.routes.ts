// Health of the gateway's dependencies, for monitoring; readiness for load balancers and Kubernetes; Prometheus metrics.
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { runHealthChecks, type HealthCheck } from '@pixmill/observability';
import { queueDepths } from '../admin/queue-status';
import { ServiceUnavailableError } from '../errors';
import type { RouteModule } from './route-module';

const CheckResult = z.object({ status: z.enum(['ok', 'down']), error: z.string().optional(), ms: z.number() });
export const HealthReportSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), CheckResult),
});

const Link = z.enum(['connected', 'disconnected']);
/** Seed 002's health answer, with the checks of the probes beside it. */
export const ApiHealthSchema = z.object({
  status: z
    .enum(['healthy', 'unhealthy'])
    .describe('healthy: database, queue and storage all answer (unhealthy: in the 503 error’s `details`)'),
  database: Link,
  queue: Link,
  storage: Link,
  redis: z
    .enum(['connected', 'disconnected', 'not_configured'])
    .describe('The shared rate-limit counters (REDIS_URL); without Redis each replica counts its own'),
  config: z
    .object({
      chunk_size: z.number().int().describe('URLs per ingest chunk (CHUNK_SIZE)'),
      max_concurrent_batches: z
        .number()
        .int()
        .nullable()
        .describe('null: no limit, every queued batch is worked on at once'),
      max_concurrent_workers: z
        .number()
        .int()
        .nullable()
        .describe('Worker consumers attached to the job queues now (null when the queue does not answer)'),
      api_keys_count: z.number().int().describe('Active API keys: yours; an admin’s: everyone’s'),
    })
    .optional()
    .describe('With credentials only'),
  checks: z.record(z.string(), CheckResult),
});

export const LivenessSchema = z.object({ status: z.literal('ok') });

export const healthRoutes: RouteModule = ({ deps, api }) => {
  const database: HealthCheck = {
    name: 'database',
    check: async () => {
      await deps.prisma.$queryRaw`SELECT 1`;
    },
  };
  const checks: HealthCheck[] = [
    database,
    { name: 'queue', check: () => deps.transport.check() },
    { name: 'storage', check: () => deps.store.check() },
  ];

  /**
   * Answers 200 when every one of `of` answers, else 503; the report names each check either way. Probes get it
   * flat; an API client gets a 503 as an error whose `details` is the report.
   */
  const report =
    (of: HealthCheck[], o: { asError?: boolean } = {}): RequestHandler =>
    async (_req, res) => {
      const r = await runHealthChecks(of);
      res.setHeader('Cache-Control', 'no-store');
      if (r.status !== 'ok' && o.asError) throw new ServiceUnavailableError('a dependency is down', r);
      res.status(r.status === 'ok' ? 200 : 503).json(r);
    };
  const health = report(checks);

  api.get(
    '/api/v1/health',
    {
      summary: 'Health of the gateway and its dependencies, and the settings that shape processing',
      description:
        'Public, for monitors; `config` is shown to a caller with credentials. 503 (status `unhealthy`) when the ' +
        'database, the queue or the storage does not answer, as an error whose `details` is the report.',
      tags: ['system'],
      access: 'public',
      responses: {
        200: { description: 'Database, queue and storage all answer', schema: ApiHealthSchema },
        503: { description: 'At least one dependency is down; `details` is the report (`status: unhealthy`)' },
      },
    },
    async (req, res) => {
      const r = await runHealthChecks(checks);
      const link = (name: string) => (r.checks[name]?.status === 'ok' ? 'connected' : 'disconnected');
      const auth = req.auth;
      let config: z.input<typeof ApiHealthSchema>['config'];
      if (auth) {
        const queues = r.checks.queue?.status === 'ok' ? await queueDepths(deps.transport) : undefined;
        const consumers = queues
          ? Object.values(queues).reduce((n, q) => n + ('consumers' in q ? q.consumers : 0), 0)
          : null;
        config = {
          chunk_size: deps.settings.CHUNK_SIZE,
          max_concurrent_batches: null,
          max_concurrent_workers: consumers,
          api_keys_count: await deps.prisma.apiKey.count({
            where: { revokedAt: null, ...(auth.role === 'admin' ? {} : { userId: auth.userId }) },
          }),
        };
      }
      const body = {
        status: r.status === 'ok' ? 'healthy' : 'unhealthy',
        database: link('database'),
        queue: link('queue'),
        storage: link('storage'),
        redis: deps.rateLimits?.state?.() ?? 'not_configured',
        ...(config ? { config } : {}),
        checks: r.checks,
      } satisfies z.input<typeof ApiHealthSchema>;
      res.setHeader('Cache-Control', 'no-store');
      // An API client hears of an outage as an error whose `details` is this same report.
      if (r.status !== 'ok') throw new ServiceUnavailableError('a dependency is down', body);
      res.json(body);
    },
  );

  const spec = (summary: string) => ({
    summary,
    tags: ['system'],
    access: 'public' as const,
    responses: {
      200: { description: 'Database, queue and storage all answer', schema: HealthReportSchema },
      503: { description: 'At least one dependency is down; `checks` says which', schema: HealthReportSchema },
    },
  });
  api.get('/health', spec('Health of the gateway’s dependencies, for probes'), health);
  api.get('/healthz', spec('Same as /health'), health);

  // Readiness asks only what every request needs. The broker and storage are shared by all replicas: failing
  // readiness on them would take every replica out of the load balancer at once, although the API still answers
  // reads and takes new batches (their jobs wait in the outbox) while the broker is down.
  api.get(
    '/readyz',
    {
      summary: 'Readiness for load balancers and Kubernetes: the database answers',
      tags: ['system'],
      access: 'public',
      responses: {
        200: { description: 'The database answers', schema: HealthReportSchema },
        503: { description: 'The database does not answer', schema: HealthReportSchema },
      },
    },
    report([database]),
  );

  // Liveness: the process answers HTTP. No dependency is asked, so an outage of the database (which readiness
  // reports) never makes Kubernetes restart every replica.
  api.get(
    '/livez',
    {
      summary: 'Liveness for Kubernetes: the process answers, whatever its dependencies do',
      tags: ['system'],
      access: 'public',
      responses: { 200: { description: 'The process is alive', schema: LivenessSchema } },
    },
    (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok' });
    },
  );

  api.get(
    '/metrics',
    {
      summary: 'Prometheus metrics',
      tags: ['system'],
      access: 'public',
      responses: {
        200: {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
    async (_req, res) => {
      res.setHeader('Content-Type', deps.registry.contentType);
      res.send(await deps.registry.metrics());
    },
  );
};
