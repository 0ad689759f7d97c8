// Control of a batch as a state machine: start, force-start, pause, resume, cancel, retry-failed, clone, soft-delete,
// restore, DELETE. An action the current state does not allow answers 409 `batch_state_error` naming both.
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  actionAllowed,
  BATCH_ACTIONS,
  BatchStateError,
  cancelBatch,
  pauseBatch,
  resumeBatch,
  retryFailedImages,
  startBatch,
  type BatchAction,
} from '@pixmill/batch-state';
import type { Batch } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { asHttp, toBatchStateHttp } from '../batch-control/batch-state-http';
import { cloneBatch } from '../batch-control/clone-batch';
import { deleteBatch, restoreBatch, softDeleteBatch } from '../batch-control/delete-batch';
import { assertStartable } from '../batch-control/validate-batch';
import { BatchSummary, batchSummary } from '../batches/batch-view';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import type { RouteModule } from './route-module';

const ForceStartBody = z.object({
  skip_validation: z.boolean().default(false).describe('Start without the pre-start checks (recipe, originals)'),
});
const CloneBody = z.object({
  new_name: z.string().trim().min(1).max(200).optional().describe('Default: "<name> (copy)"'),
  copy_results: z
    .boolean()
    .default(false)
    .describe('Keep finished images with their outcome and outputs (copied); otherwise every image runs again'),
  auto_start: z.boolean().default(false).describe('Queue the clone at once; otherwise start it with /start'),
});
const SoftDeleteBody = z.object({
  retention_days: z.number().int().min(0).max(3650).default(30).describe('Days before the batch is purged for good'),
});
const DeleteQuery = z.object({
  force: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1')
    .describe('Cancel and delete a batch that is still queued or processing'),
});

/** What each action answers `true` under (seed 002: `{ batch_id, started: true }`), and the envelope's message. */
const DONE = {
  start: ['started', 'Batch processing started'],
  'force-start': ['started', 'Batch processing started'],
  pause: ['paused', 'Batch paused'],
  resume: ['resumed', 'Batch processing resumed'],
  cancel: ['cancelled', 'Batch cancelled'],
  'retry-failed': ['retried', 'Failed images queued again'],
  clone: ['cloned', 'Batch cloned'],
  'soft-delete': ['soft_deleted', 'Batch moved to the trash'],
  restore: ['restored', 'Batch restored'],
  delete: ['deleted', 'Batch deleted'],
} as const satisfies Record<ControlAction, readonly [string, string]>;

/** The actions of this file (`reset` is the admin's, in admin.routes.ts). */
type ControlAction = Exclude<BatchAction, 'reset'> | 'clone';

const enqueued = z
  .object({ images: z.number().int(), chunks: z.number().int() })
  .describe('Jobs queued for its workers: resize jobs of images, ingest jobs of URL chunks');
/** What each action tells beside the batch. */
const EXTRAS: Record<ControlAction, z.ZodRawShape> = {
  start: { enqueued },
  'force-start': { enqueued, validated: z.boolean().describe('The pre-start checks ran (skip_validation false)') },
  pause: {},
  resume: { enqueued },
  cancel: {
    cancelled_images: z.number().int().describe('Images this cancel stopped'),
    cancelled_count: z.number().int().describe('Images of the batch not processed: total_images - processed_images'),
  },
  'retry-failed': { retried_images: z.number().int(), enqueued },
  clone: { cloned_from: z.uuid(), copy_results: z.boolean() },
  'soft-delete': { deleted_at: z.iso.datetime(), purge_after: z.iso.datetime() },
  restore: {},
  delete: {},
};

const ActionResult = (action: ControlAction) =>
  BatchSummary.extend({
    action: z.literal(action),
    [DONE[action][0]]: z.literal(true).describe('The action was done'),
    ...EXTRAS[action],
  });

const refusals = (action: BatchAction) =>
  `Not allowed in the batch's current state (allowed from: ${BATCH_ACTIONS[action].join(', ')}); \`code\` is \`batch_state_error\`, \`details\` name \`current_state\` and \`action\``;

const spec = (action: Exclude<BatchAction, 'reset'>, summary: string, description: string) => ({
  summary,
  description,
  tags: ['batch control'],
  access: 'user' as const,
  params: BatchParams,
  responses: {
    200: { description: 'Done; the batch as it is now', schema: ActionResult(action) },
    404: { description: 'No such batch of yours' },
    409: { description: refusals(action) },
  },
});

export const batchControlRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, log } = deps;

  const owned = (req: Request & { valid: { params: { id: string } } }) =>
    findOwnedBatch(prisma, authOf(req), req.valid.params.id);
  const reread = (id: string) => prisma.batch.findUniqueOrThrow({ where: { id } });
  const answer = (res: Response, action: ControlAction, b: Batch, extra: Record<string, unknown> = {}) => {
    res.locals.message = DONE[action][1];
    return { action, ...batchSummary(b), [DONE[action][0]]: true, ...extra };
  };

  api.post(
    '/api/v1/batches/:id/start',
    {
      ...spec(
        'start',
        'Start a batch created with auto_start=false',
        'Checks the batch first (recipe, images, originals in storage): 422 `batch_validation_failed` lists what is wrong.',
      ),
      responses: {
        ...spec('start', '', '').responses,
        422: { description: 'The batch cannot run as it is; `details.problems` says why' },
      },
    },
    async (req, res) => {
      const batch = await owned(req);
      if (!actionAllowed('start', batch.status)) throw toBatchStateHttp(new BatchStateError('start', batch.status));
      await assertStartable(prisma, store, batch);
      const r = await asHttp(() => startBatch(prisma, batch.id, 'start'));
      res.json(answer(res, 'start', await reread(batch.id), { enqueued: r.enqueued }));
    },
  );

  api.post(
    '/api/v1/batches/:id/force-start',
    {
      ...spec(
        'force-start',
        'Start or resume a batch, optionally without the pre-start checks',
        'From `pending` or `paused`. With `skip_validation: true` the checks of /start are skipped: images that cannot run fail one by one.',
      ),
      body: ForceStartBody,
      responses: {
        ...spec('force-start', '', '').responses,
        422: { description: 'The checks failed (send skip_validation to start anyway)' },
      },
    },
    async (req, res) => {
      const batch = await owned(req);
      const body = req.valid.body;
      if (!actionAllowed('force-start', batch.status))
        throw toBatchStateHttp(new BatchStateError('force-start', batch.status));
      if (!body.skip_validation) await assertStartable(prisma, store, batch);
      const r = await asHttp(() => startBatch(prisma, batch.id, 'force-start'));
      res.json(
        answer(res, 'force-start', await reread(batch.id), { enqueued: r.enqueued, validated: !body.skip_validation }),
      );
    },
  );

  api.post(
    '/api/v1/batches/:id/pause',
    spec(
      'pause',
      'Pause a running batch',
      'Workers stop taking its images within seconds; images already being processed finish and are counted.',
    ),
    async (req, res) => {
      const batch = await owned(req);
      await asHttp(() => pauseBatch(prisma, batch.id));
      res.json(answer(res, 'pause', await reread(batch.id)));
    },
  );

  api.post(
    '/api/v1/batches/:id/resume',
    spec('resume', 'Resume a paused batch', 'Its images still pending are queued again.'),
    async (req, res) => {
      const batch = await owned(req);
      const r = await asHttp(() => resumeBatch(prisma, batch.id));
      res.json(answer(res, 'resume', await reread(batch.id), { enqueued: r.enqueued }));
    },
  );

  api.post(
    '/api/v1/batches/:id/cancel',
    spec(
      'cancel',
      'Cancel a batch',
      'Images not yet taken become `cancelled` and nothing more is processed (images in flight finish). ' +
        'Cancelled images do not count as processed: `cancelled_count` is `total_images - processed_images`. ' +
        'A batch with a webhook_url gets a `batch.cancelled` event.',
    ),
    async (req, res) => {
      const batch = await owned(req);
      const r = await asHttp(() => cancelBatch(prisma, batch.id));
      const after = await reread(batch.id);
      res.json(
        answer(res, 'cancel', after, {
          cancelled_images: r.cancelledImages,
          cancelled_count: after.totalImages - after.processedImages,
        }),
      );
    },
  );

  api.post(
    '/api/v1/batches/:id/retry-failed',
    spec(
      'retry-failed',
      'Run the failed images of a finished batch again',
      'Only failed images run again; the counters drop them until they finish. 409 also when there is no failed image.',
    ),
    async (req, res) => {
      const batch = await owned(req);
      const r = await asHttp(() => retryFailedImages(prisma, batch.id));
      res.json(
        answer(res, 'retry-failed', await reread(batch.id), { retried_images: r.retriedImages, enqueued: r.enqueued }),
      );
    },
  );

  api.post(
    '/api/v1/batches/:id/clone',
    {
      summary: 'Make a new batch from this one',
      description:
        'Same recipe, input and webhook (URL and secret). Stored objects (originals, and outputs with `copy_results`) are ' +
        'copied, so the clone does not depend on the source. Allowed in any state.',
      tags: ['batch control'],
      access: 'user',
      params: BatchParams,
      body: CloneBody,
      responses: {
        201: {
          description: 'The new batch (`batch_id` is the clone’s)',
          schema: ActionResult('clone'),
        },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const batch = await owned(req);
      const body = req.valid.body;
      const clone = await cloneBatch({ prisma, store, log }, batch, {
        ownerId: auth.userId,
        name: body.new_name ?? `${batch.name ?? 'batch'} (copy)`.slice(0, 200),
        copyResults: body.copy_results,
        autoStart: body.auto_start,
      });
      res.status(201).json(answer(res, 'clone', clone, { cloned_from: batch.id, copy_results: body.copy_results }));
    },
  );

  api.post(
    '/api/v1/batches/:id/soft-delete',
    {
      ...spec(
        'soft-delete',
        'Hide a batch; it is purged after its retention',
        'Hidden from lists (`include_soft_deleted=true` shows it), still readable by id, restorable until purged. ' +
          'A running batch must be paused or cancelled first.',
      ),
      body: SoftDeleteBody,
    },
    async (req, res) => {
      const batch = await owned(req);
      const body = req.valid.body;
      const r = await asHttp(() => softDeleteBatch(prisma, batch, body.retention_days));
      res.json(
        answer(res, 'soft-delete', await reread(batch.id), {
          deleted_at: r.deletedAt.toISOString(),
          purge_after: r.purgeAfter.toISOString(),
        }),
      );
    },
  );

  api.post(
    '/api/v1/batches/:id/restore',
    spec('restore', 'Bring back a soft-deleted batch', 'Until it is purged. 409 when the batch is not deleted.'),
    async (req, res) => {
      const batch = await owned(req);
      await asHttp(() => restoreBatch(prisma, batch));
      res.json(answer(res, 'restore', await reread(batch.id)));
    },
  );

  api.delete(
    '/api/v1/batches/:id',
    {
      summary: 'Delete a batch and everything it stored',
      description:
        'Removes its rows and its originals, outputs and uploaded input from storage. A queued or processing batch ' +
        'needs `force=true` (it is cancelled first).',
      tags: ['batch control'],
      access: 'user',
      params: BatchParams,
      query: DeleteQuery,
      responses: {
        200: {
          description: 'Deleted',
          schema: z.object({ batch_id: z.uuid(), deleted: z.literal(true), objects_deleted: z.number().int() }),
        },
        404: { description: 'No such batch of yours' },
        409: { description: refusals('delete') },
      },
    },
    async (req, res) => {
      const batch = await owned(req);
      const q = req.valid.query;
      const r = await asHttp(() => deleteBatch({ prisma, store, log }, batch, { force: q.force }));
      res.locals.message = DONE.delete[1];
      res.json({ batch_id: batch.id, deleted: true, objects_deleted: r.objects });
    },
  );
};
