// A batch's health score and its failure analysis.
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { analyzeBatch, batchHealth, ERROR_CATEGORY_KEYS, readFailures } from '../batch-control/batch-insights';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import type { RouteModule } from './route-module';

const HealthQuery = z.object({
  stuck_minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(15)
    .describe('An image taken longer ago than this and not finished counts as stuck'),
});

const Component = z.object({ score: z.number().int(), max: z.number().int() }).loose();
const Health = z.object({
  batch_id: z.uuid(),
  status: z.string(),
  health_score: z.number().int().min(0).max(100),
  health_status: z.enum(['healthy', 'degraded', 'unhealthy']),
  factors: z
    .object({
      success_rate: z.number().min(0).max(100),
      processing_speed: z.number().min(0).max(100),
      error_patterns: z.number().min(0).max(100),
    })
    .describe('Each part of the score out of 100 (components holds the points each adds to health_score)'),
  components: z.object({ success_rate: Component, speed: Component, error_patterns: Component }),
  stuck_images: z.number().int(),
  last_activity_at: z.iso.datetime().nullable(),
  issues: z.array(z.string()),
  recommendations: z.array(z.string()),
});
const Analysis = z.object({
  batch_id: z.uuid(),
  status: z.string(),
  total_images: z.number().int(),
  processed_images: z.number().int(),
  total_errors: z.number().int().describe('Failed images (the same as failed_images)'),
  failed_images: z.number().int(),
  failure_rate: z.number(),
  error_categories: z
    .object(
      Object.fromEntries(Object.values(ERROR_CATEGORY_KEYS).map((k) => [k, z.number().int()])) as Record<
        (typeof ERROR_CATEGORY_KEYS)[keyof typeof ERROR_CATEGORY_KEYS],
        z.ZodNumber
      >,
    )
    .describe(
      'Failed images per category, every category present: network_errors, invalid_urls and processing_errors as seed 002 ' +
        'names them, http_errors (the host answered 4xx/5xx), blocked_urls (private or non-http(s) addresses), ' +
        'not_an_image_errors, too_large_errors, other_errors',
    ),
  categories: z.array(
    z.object({
      category: z.enum([
        'network',
        'http',
        'invalid_url',
        'blocked',
        'not_an_image',
        'too_large',
        'processing',
        'other',
      ]),
      count: z.number().int(),
      percentage: z.number(),
      codes: z.record(z.string(), z.number().int()),
    }),
  ),
  top_errors: z.array(
    z.object({
      error_type: z.string().describe('The failure code (`timeout`, `http_404`, `not_an_image`…), `unknown` when none'),
      code: z.string().nullable(),
      message: z.string().nullable(),
      count: z.number().int(),
      percentage: z.number(),
      example: z.string().nullable(),
    }),
  ),
  recommendations: z.array(z.string()),
});

export const batchInsightsRoutes: RouteModule = ({ deps, api }) => {
  const { prisma } = deps;

  api.get(
    '/api/v1/batches/:id/health',
    {
      summary: 'Health score of a batch (0–100) with recommendations',
      description:
        'Success rate (60 points), speed (20: a running batch with nothing finished for 10 minutes stalls) and error patterns (20).',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: HealthQuery,
      responses: { 200: { description: 'The score', schema: Health }, 404: { description: 'No such batch of yours' } },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const failures = await readFailures(prisma, batch.id, new Date(Date.now() - q.stuck_minutes * 60_000));
      res.set('Cache-Control', 'no-store').json(batchHealth(batch, failures));
    },
  );

  api.get(
    '/api/v1/batches/:id/analyze',
    {
      summary: 'Failures of a batch by category, with the top errors and recommendations',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      responses: {
        200: { description: 'The analysis', schema: Analysis },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const failures = await readFailures(prisma, batch.id, new Date(Date.now() - 15 * 60_000));
      res.set('Cache-Control', 'no-store').json(analyzeBatch(batch, failures));
    },
  );
};
