// Operator routes (admins only): queue status with stuck images, cleanup, and the reset of a stuck batch.
import { z } from 'zod';
import { resetStuckImages } from '@pixmill/batch-state';
import { jobKinds, type JobKind } from '@pixmill/contracts';
import { authOf } from '../auth/auth-context';
import { cleanup } from '../admin/queue-cleanup';
import { queueRecommendations } from '../admin/queue-recommendations';
import { outboxBacklog, queueDepths, stuckImages, stuckJobs } from '../admin/queue-status';
import { asHttp } from '../batch-control/batch-state-http';
import { BatchSummary, batchSummary } from '../batches/batch-view';
import { findOwnedBatch } from '../batches/owned-batch';
import { ValidationError } from '../errors';
import { JobStatsSchema } from './system.routes';
import { jobStats } from '../system/job-stats';
import type { RouteModule } from './route-module';

/** Seed 002's names of its chunk job, taken for pixmill's (`ingest.chunk`) in `job_types`. */
const JOB_TYPE_ALIASES: Record<string, JobKind> = { process_chunk: 'ingest.chunk', chunk_processing: 'ingest.chunk' };
const JobType = z
  .enum([...jobKinds, ...Object.keys(JOB_TYPE_ALIASES)] as [string, ...string[]])
  .describe('A job kind; `process_chunk` and `chunk_processing` (seed 002) mean `ingest.chunk`');
const DEFAULT_MAX_AGE_HOURS = 24;

const StatusQuery = z.object({
  stuck_minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(30)
    .describe('Images taken longer ago than this and not finished are stuck'),
});
const CleanupBody = z.object({
  purge_dead_letters: z
    .union([z.boolean(), z.array(z.enum(jobKinds as [string, ...string[]]))])
    .default(false)
    .describe('true for every queue, or the job kinds whose dead letters to drop'),
  published_jobs_older_than_days: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .optional()
    .describe('Delete outbox rows published longer ago than this (finished jobs)'),
  purge_deleted_batches: z
    .boolean()
    .default(false)
    .describe('Hard-delete soft-deleted batches whose retention has passed, with their stored objects'),
  job_types: z.array(JobType).min(1).optional().describe('The kinds of finished jobs to clean (default: every kind)'),
  max_age_hours: z
    .number()
    .min(0)
    .max(24 * 3650)
    .optional()
    .describe(`Finished jobs older than this many hours (default ${DEFAULT_MAX_AGE_HOURS})`),
  clean_database: z
    .boolean()
    .optional()
    .describe(
      'Delete those finished jobs’ records (published outbox rows) from the database; false (default) only counts them',
    ),
});
const DEFAULT_STUCK_MINUTES = 30;
const ResetBody = z.object({
  force: z
    .boolean()
    .default(false)
    .describe('Every image in flight goes back to pending, however recently a worker took it'),
  stuck_minutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .optional()
    .describe(
      `Images taken longer ago than this go back to pending (default ${DEFAULT_STUCK_MINUTES}; 0: every image in flight)`,
    ),
});

const QueueStatusResponse = z.object({
  queue_stats: JobStatsSchema.extend({
    retrying: z.number().int().describe('Jobs waiting in a retry queue for their next attempt'),
  }),
  total_stuck: z.number().int().describe('Images a worker took longer ago than `stuck_minutes` and never finished'),
  stuck_jobs: z.array(
    z.object({
      job_id: z.string(),
      job_type: z.string(),
      batch_id: z.string(),
      image_id: z.string(),
      status: z.string(),
      started_at: z.iso.datetime(),
      stuck_minutes: z.number().int(),
    }),
  ),
  recommendations: z.array(z.string()).describe('What to do; `["Queue is operating normally"]` when nothing'),
  queues: z.record(z.string(), z.unknown()),
  outbox: z.object({
    unpublished: z.number().int(),
    failing: z.number().int(),
    oldest_unpublished_at: z.iso.datetime().nullable(),
    published_kept: z.number().int(),
  }),
  stuck_images: z.object({
    threshold_minutes: z.number().int(),
    count: z.number().int(),
    batches: z.array(z.object({ batch_id: z.string(), count: z.number().int(), oldest_started_at: z.iso.datetime() })),
  }),
  generated_at: z.iso.datetime(),
});

const CleanupResponse = z.object({
  job_types: z.array(z.string()).optional().describe('The kinds cleaned (aliases resolved)'),
  max_age_hours: z.number().optional(),
  clean_database: z.boolean().optional(),
  finished_jobs_matched: z.number().int().optional().describe('Finished jobs of those kinds older than max_age_hours'),
  finished_jobs_deleted: z.number().int().optional().describe('Of those, deleted (0 unless clean_database)'),
  dead_letters_purged: z.record(z.string(), z.number().int()),
  published_jobs_deleted: z.number().int(),
  deleted_batches_purged: z.number().int(),
  objects_deleted: z.number().int(),
});

const ResetResponse = BatchSummary.extend({
  action: z.literal('reset'),
  force: z.boolean(),
  stuck_minutes: z.number().int().describe('The threshold used (0 with force)'),
  reset_images: z.number().int(),
  enqueued: z.object({ images: z.number().int(), chunks: z.number().int() }),
});

/** Seed 002 puts the admin routes at the root; pixmill has them under /api/v1 too. Both answer the same. */
const ADMIN_PATHS = (path: string) => [`/api/v1${path}`, path];

const Queue = z.enum(jobKinds as [string, ...string[]]).describe('The job kind whose dead-letter queue to act on');
const DeadLettersQuery = z.object({
  queue: Queue,
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const DeadLettersBody = z.object({ queue: Queue });
const DeadLetterList = z.object({
  queue: z.string(),
  total: z.number().int().describe('Dead letters in the queue'),
  items: z.array(
    z.object({
      message_id: z.string(),
      attempt: z.number().int().describe('The attempt that failed last'),
      reason: z.string().nullable().describe('Why it was dead-lettered'),
      error: z.string().nullable().describe('The last error'),
      dead_lettered_at: z.iso.datetime().nullable(),
      payload: z.unknown().describe('The job as it was published'),
    }),
  ),
});

export const adminRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, transport, store, log } = deps;

  for (const path of ADMIN_PATHS('/admin/queue/status')) {
    api.get(
      path,
      {
        summary: 'Queues: jobs by state, stuck jobs and what to do; depth, consumers, dead letters; outbox backlog',
        tags: ['admin'],
        access: 'admin',
        // Seed 002 shows its admin answers in the envelope, at the root paths too.
        envelope: true,
        query: StatusQuery,
        responses: { 200: { description: 'The status', schema: QueueStatusResponse } },
      },
      async (req, res) => {
        const q = req.valid.query;
        const before = new Date(Date.now() - q.stuck_minutes * 60_000);
        const [queues, outbox, stuck, jobs, stuckList] = await Promise.all([
          queueDepths(transport),
          outboxBacklog(prisma),
          stuckImages(prisma, before),
          jobStats(prisma),
          stuckJobs(prisma, before),
        ]);
        const retrying = Object.values(queues).reduce((n, d) => n + ('retrying' in d ? d.retrying : 0), 0);
        res.set('Cache-Control', 'no-store').json({
          queue_stats: { ...jobs, retrying },
          total_stuck: stuck.count,
          stuck_jobs: stuckList,
          recommendations: queueRecommendations({ queues, outbox, stuck, thresholdMinutes: q.stuck_minutes }),
          queues,
          outbox,
          stuck_images: { threshold_minutes: q.stuck_minutes, ...stuck },
          generated_at: new Date().toISOString(),
        } satisfies z.input<typeof QueueStatusResponse>);
      },
    );
  }

  for (const path of ADMIN_PATHS('/admin/queue/cleanup')) {
    api.post(
      path,
      {
        summary: 'Clean finished jobs, dead letters and expired soft-deleted batches',
        description:
          '`job_types`, `max_age_hours` and `clean_database` (seed 002) select the finished jobs (published outbox ' +
          'rows) of those kinds older than that, and delete them when `clean_database` is true (else only count them). ' +
          'Work still queued or running is never removed.',
        tags: ['admin'],
        access: 'admin',
        // Seed 002 shows its admin answers in the envelope, at the root paths too.
        envelope: true,
        body: CleanupBody,
        responses: { 200: { description: 'What was removed', schema: CleanupResponse } },
      },
      async (req, res) => {
        const b = req.valid.body;
        const kinds =
          b.purge_dead_letters === true ? jobKinds : b.purge_dead_letters === false ? [] : b.purge_dead_letters;
        const seedCleanup =
          b.job_types !== undefined || b.max_age_hours !== undefined || b.clean_database !== undefined;
        const jobTypes = [...new Set((b.job_types ?? jobKinds).map((t) => JOB_TYPE_ALIASES[t] ?? (t as JobKind)))];
        res.json(
          (await cleanup(
            { prisma, transport, store, log },
            {
              deadLetters: kinds as typeof jobKinds,
              ...(b.published_jobs_older_than_days !== undefined
                ? { publishedOlderThanDays: b.published_jobs_older_than_days }
                : {}),
              purgeDeletedBatches: b.purge_deleted_batches,
              ...(seedCleanup
                ? {
                    finishedJobs: {
                      kinds: jobTypes,
                      olderThanHours: b.max_age_hours ?? DEFAULT_MAX_AGE_HOURS,
                      clean: b.clean_database ?? false,
                    },
                  }
                : {}),
            },
          )) satisfies z.input<typeof CleanupResponse>,
        );
      },
    );
  }

  for (const path of ADMIN_PATHS('/admin/batch/:id/reset')) {
    api.post(
      path,
      {
        summary: 'Re-queue the stuck images of a batch',
        description:
          'Images taken longer ago than `stuck_minutes` (every image in flight with `force`) go back to pending; a ' +
          'running batch has all its open work queued again. 409 `batch_state_error` for a batch that is not queued, ' +
          'processing or paused.',
        tags: ['admin'],
        access: 'admin',
        // Seed 002 shows its admin answers in the envelope, at the root paths too.
        envelope: true,
        params: z.object({ id: z.string() }),
        body: ResetBody,
        responses: {
          200: { description: 'Reset', schema: ResetResponse },
          404: { description: 'No such batch' },
          409: { description: 'The batch is not running or paused' },
        },
      },
      async (req, res) => {
        const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
        const b = req.valid.body;
        if (b.force && b.stuck_minutes !== undefined && b.stuck_minutes !== 0)
          throw new ValidationError('force resets every image in flight: send force or stuck_minutes, not both', {
            field: 'stuck_minutes',
          });
        const minutes = b.force ? 0 : (b.stuck_minutes ?? DEFAULT_STUCK_MINUTES);
        const r = await asHttp(() => resetStuckImages(prisma, batch.id, new Date(Date.now() - minutes * 60_000)));
        const after = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
        res.json({
          action: 'reset',
          ...batchSummary(after),
          force: b.force,
          stuck_minutes: minutes,
          reset_images: r.resetImages,
          enqueued: r.enqueued,
        } satisfies z.input<typeof ResetResponse>);
      },
    );
  }

  api.get(
    '/api/v1/admin/dead-letters',
    {
      summary: 'Inspect the dead letters of a queue (jobs that failed for good), without removing them',
      tags: ['admin'],
      access: 'admin',
      query: DeadLettersQuery,
      responses: { 200: { description: 'Up to `limit` dead letters and how many there are', schema: DeadLetterList } },
    },
    async (req, res) => {
      const q = req.valid.query;
      const { total, items } = await transport.peekDeadLetters(q.queue as JobKind, q.limit);
      res.set('Cache-Control', 'no-store').json({
        queue: q.queue,
        total,
        items: items.map((d) => ({
          message_id: d.messageId,
          attempt: d.attempt,
          reason: d.reason,
          error: d.error,
          dead_lettered_at: d.deadAt?.toISOString() ?? null,
          payload: d.payload,
        })),
      } satisfies z.input<typeof DeadLetterList>);
    },
  );

  api.post(
    '/api/v1/admin/dead-letters/requeue',
    {
      summary: 'Put the dead letters of a queue back on it, as first attempts',
      description:
        'For jobs whose cause has been fixed. Each handler is idempotent, so a job that had done part of its work finishes it.',
      tags: ['admin'],
      access: 'admin',
      body: DeadLettersBody,
      responses: {
        200: {
          description: 'How many were requeued',
          schema: z.object({ queue: z.string(), requeued: z.number().int() }),
        },
      },
    },
    async (req, res) => {
      const { queue } = req.valid.body;
      const requeued = await transport.requeueDeadLetters(queue as JobKind);
      log.info({ queue, requeued, by: authOf(req).username }, 'dead letters requeued');
      res.json({ queue, requeued });
    },
  );

  api.post(
    '/api/v1/admin/dead-letters/purge',
    {
      summary: 'Drop the dead letters of a queue',
      tags: ['admin'],
      access: 'admin',
      body: DeadLettersBody,
      responses: {
        200: {
          description: 'How many were dropped',
          schema: z.object({ queue: z.string(), purged: z.number().int() }),
        },
      },
    },
    async (req, res) => {
      const { queue } = req.valid.body;
      const purged = await transport.purgeDeadLetters(queue as JobKind);
      log.info({ queue, purged, by: authOf(req).username }, 'dead letters purged');
      res.json({ queue, purged });
    },
  );
};
