// System statistics for API clients: batches by status, images processed and success rate (the caller's; an
// admin's: everyone's), and the depth of each job queue.
import { z } from 'zod';
import { RUNNING_BATCH_STATUSES } from '@pixmill/batch-state';
import { authOf } from '../auth/auth-context';
import { queueDepths } from '../admin/queue-status';
import { jobStats } from '../system/job-stats';
import { throughput } from '../system/throughput';
import type { RouteModule } from './route-module';

export const JobStatsSchema = z.object({
  pending: z.number().int().describe('Images waiting for a worker'),
  processing: z.number().int().describe('Images a worker is fetching or processing'),
  completed: z.number().int().describe('Images processed'),
  failed: z.number().int().describe('Images that failed'),
  cancelled: z.number().int().describe('Images of cancelled batches, never processed'),
});

const Stats = z.object({
  total_batches: z.number().int(),
  active_batches: z.number().int().describe('Batches queued or processing'),
  completed_batches: z.number().int(),
  total_urls_processed: z.number().int().describe('Images processed (succeeded or failed), URL or upload'),
  overall_success_rate: z.number().describe('Percent of the processed images that succeeded (0 when none)'),
  queue_stats: JobStatsSchema,
  scope: z.enum(['own', 'all']),
  batches: z.object({ total: z.number().int(), by_status: z.record(z.string(), z.number().int()) }),
  images: z.object({
    total: z.number().int(),
    processed: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    success_rate: z.number().nullable(),
  }),
  queues: z.record(z.string(), z.unknown()),
  generated_at: z.iso.datetime(),
});

const ThroughputQuery = z.object({
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60)
    .describe('How far back, in minutes'),
});
const Throughput = z.object({
  minutes: z.number().int(),
  buckets: z.array(
    z.object({
      start: z.iso.datetime().describe('Start of the minute'),
      succeeded: z.number().int(),
      failed: z.number().int(),
    }),
  ),
  totals: z.object({
    succeeded: z.number().int(),
    failed: z.number().int(),
    failure_rate: z.number().nullable().describe('Percent of the images finished in the window that failed'),
  }),
});

export const systemRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, transport } = deps;
  api.get(
    '/api/v1/system/stats',
    {
      summary: 'Batches by status, images processed, success rate and queue depths',
      description: 'Counts cover your batches (soft-deleted ones included); an admin’s cover everyone’s.',
      tags: ['system'],
      access: 'user',
      responses: { 200: { description: 'The statistics', schema: Stats } },
    },
    async (req, res) => {
      const auth = authOf(req);
      const where = auth.role === 'admin' ? {} : { ownerId: auth.userId };
      const [byStatus, sums, queues, jobs] = await Promise.all([
        prisma.batch.groupBy({ by: ['status'], where, _count: { _all: true } }),
        prisma.batch.aggregate({
          where,
          _sum: { totalImages: true, processedImages: true, succeededImages: true, failedImages: true },
        }),
        queueDepths(transport),
        jobStats(prisma, auth.role === 'admin' ? undefined : auth.userId),
      ]);
      const processed = sums._sum.processedImages ?? 0;
      const succeeded = sums._sum.succeededImages ?? 0;
      const count = (statuses: readonly string[]) =>
        byStatus.filter((g) => statuses.includes(g.status)).reduce((n, g) => n + g._count._all, 0);
      const successRate = processed > 0 ? Math.round((succeeded / processed) * 10000) / 100 : null;
      res.set('Cache-Control', 'no-store').json({
        total_batches: count(byStatus.map((g) => g.status)),
        active_batches: count(RUNNING_BATCH_STATUSES),
        completed_batches: count(['completed']),
        total_urls_processed: processed,
        overall_success_rate: successRate ?? 0,
        queue_stats: jobs,
        scope: auth.role === 'admin' ? 'all' : 'own',
        batches: {
          total: byStatus.reduce((n, g) => n + g._count._all, 0),
          by_status: Object.fromEntries(byStatus.map((g) => [g.status, g._count._all])),
        },
        images: {
          total: sums._sum.totalImages ?? 0,
          processed,
          succeeded,
          failed: sums._sum.failedImages ?? 0,
          success_rate: successRate,
        },
        queues,
        generated_at: new Date().toISOString(),
      } satisfies z.input<typeof Stats>);
    },
  );

  api.get(
    '/api/v1/system/throughput',
    {
      summary: 'Images finished a minute (succeeded, failed) over the last minutes',
      description:
        'One bucket a minute, oldest first, from when each image finished. Your images; an admin’s: everyone’s.',
      tags: ['system'],
      access: 'user',
      query: ThroughputQuery,
      responses: { 200: { description: 'The buckets and their totals', schema: Throughput } },
    },
    async (req, res) => {
      const auth = authOf(req);
      const { minutes } = req.valid.query;
      res
        .set('Cache-Control', 'no-store')
        .json(await throughput(prisma, { minutes, ...(auth.role === 'admin' ? {} : { ownerId: auth.userId }) }));
    },
  );
};
