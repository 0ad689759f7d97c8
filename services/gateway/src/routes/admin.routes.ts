// Operator routes (admins only): queue status with stuck images, cleanup, and the reset of a stuck batch.
import { z } from 'zod';
import { resetStuckImages } from '@pixmill/batch-state';
import { jobKinds, type JobKind } from '@pixmill/contracts';
import { authOf } from '../auth/auth-context';
import { cleanup } from '../admin/queue-cleanup';
import { outboxBacklog, queueDepths, stuckImages } from '../admin/queue-status';
import { asHttp } from '../batch-control/batch-state-http';
import { BatchSummary, batchSummary } from '../batches/batch-view';
import { findOwnedBatch } from '../batches/owned-batch';
import type { RouteModule } from './route-module';

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
});
const ResetBody = z.object({
  stuck_minutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(30)
    .describe('Images taken longer ago than this go back to pending (0: every image in flight)'),
});

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

const QueueDepth = z.union([
  z.object({
    ready: z.number().int(),
    unacked: z.number().int(),
    consumers: z.number().int(),
    dead_lettered: z.number().int(),
    retrying: z.number().int(),
  }),
  z.object({ error: z.string().describe('Why the queue could not be read') }),
]);
const QueueStatus = z.object({
  // One property per queue (a record keyed by an enum would document no properties).
  queues: z.object(Object.fromEntries(jobKinds.map((k) => [k, QueueDepth])) as Record<JobKind, typeof QueueDepth>),
  outbox: z.object({
    unpublished: z.number().int(),
    failing: z.number().int(),
    oldest_unpublished_at: z.iso.datetime().nullable(),
    published_kept: z.number().int(),
  }),
  stuck_images: z.object({
    threshold_minutes: z.number(),
    count: z.number().int(),
    batches: z.array(z.object({ batch_id: z.uuid(), count: z.number().int(), oldest_started_at: z.iso.datetime() })),
  }),
  generated_at: z.iso.datetime(),
});
const CleanupResult = z.object({
  dead_letters_purged: z.partialRecord(z.enum(jobKinds), z.number().int()),
  published_jobs_deleted: z.number().int(),
  deleted_batches_purged: z.number().int(),
  objects_deleted: z.number().int(),
});

export const adminRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, transport, store, log } = deps;

  api.get(
    '/api/v1/admin/queue/status',
    {
      summary: 'Queues: depth, consumers, dead letters; outbox backlog; stuck images',
      tags: ['admin'],
      access: 'admin',
      query: StatusQuery,
      responses: { 200: { description: 'The status', schema: QueueStatus } },
    },
    async (req, res) => {
      const q = req.valid.query;
      const before = new Date(Date.now() - q.stuck_minutes * 60_000);
      const [queues, outbox, stuck] = await Promise.all([
        queueDepths(transport),
        outboxBacklog(prisma),
        stuckImages(prisma, before),
      ]);
      res.set('Cache-Control', 'no-store').json({
        queues,
        outbox,
        stuck_images: { threshold_minutes: q.stuck_minutes, ...stuck },
        generated_at: new Date().toISOString(),
      });
    },
  );

  api.post(
    '/api/v1/admin/queue/cleanup',
    {
      summary: 'Purge dead letters, old finished jobs and expired soft-deleted batches',
      tags: ['admin'],
      access: 'admin',
      body: CleanupBody,
      responses: { 200: { description: 'What was removed', schema: CleanupResult } },
    },
    async (req, res) => {
      const b = req.valid.body;
      const kinds =
        b.purge_dead_letters === true ? jobKinds : b.purge_dead_letters === false ? [] : b.purge_dead_letters;
      res.json(
        await cleanup(
          { prisma, transport, store, log },
          {
            deadLetters: kinds as typeof jobKinds,
            ...(b.published_jobs_older_than_days !== undefined
              ? { publishedOlderThanDays: b.published_jobs_older_than_days }
              : {}),
            purgeDeletedBatches: b.purge_deleted_batches,
          },
        ),
      );
    },
  );

  api.post(
    '/api/v1/admin/batch/:id/reset',
    {
      summary: 'Re-queue the stuck images of a batch',
      description:
        'Images taken longer ago than `stuck_minutes` go back to pending; a running batch has all its open work queued again. ' +
        '409 `batch_state_error` for a batch that is not queued, processing or paused.',
      tags: ['admin'],
      access: 'admin',
      params: z.object({ id: z.string() }),
      body: ResetBody,
      responses: {
        200: {
          description: 'Reset',
          schema: BatchSummary.extend({
            action: z.literal('reset'),
            reset_images: z.number().int(),
            enqueued: z.number().int(),
          }),
        },
        404: { description: 'No such batch' },
        409: { description: 'The batch is not running or paused' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const b = req.valid.body;
      const r = await asHttp(() => resetStuckImages(prisma, batch.id, new Date(Date.now() - b.stuck_minutes * 60_000)));
      const after = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
      res.json({ action: 'reset', ...batchSummary(after), reset_images: r.resetImages, enqueued: r.enqueued });
    },
  );

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
