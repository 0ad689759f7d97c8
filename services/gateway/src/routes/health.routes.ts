// Health of the gateway's dependencies, for monitoring; readiness for load balancers and Kubernetes; Prometheus metrics.
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { runHealthChecks, type HealthCheck } from '@pixmill/observability';
import { ServiceUnavailableError } from '../errors';
import type { RouteModule } from './route-module';

const CheckResult = z.object({ status: z.enum(['ok', 'down']), error: z.string().optional(), ms: z.number() });
export const HealthReportSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
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
  const spec = (summary: string) => ({
    summary,
    tags: ['system'],
    access: 'public' as const,
    responses: {
      200: { description: 'Database, queue and storage all answer', schema: HealthReportSchema },
      503: { description: 'At least one dependency is down; `checks` says which', schema: HealthReportSchema },
    },
  });
  api.get(
    '/api/v1/health',
    {
      ...spec('Health of the gateway and its dependencies'),
      responses: {
        200: { description: 'Database, queue and storage all answer', schema: HealthReportSchema },
        503: { description: 'At least one dependency is down; `details` is the report, naming which' },
      },
    },
    report(checks, { asError: true }),
  );
  api.get('/health', spec('Same as /api/v1/health, for probes'), health);
  api.get('/healthz', spec('Same as /api/v1/health'), health);

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
