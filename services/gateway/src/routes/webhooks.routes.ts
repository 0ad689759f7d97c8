// A batch's webhook delivery log, and sending an event again.
import { z } from 'zod';
import { isUuid, WebhookEvent } from '@pixmill/contracts';
import type { WebhookDelivery } from '@pixmill/db';
import { enqueue } from '@pixmill/queue';
import { authOf } from '../auth/auth-context';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { webhookStatusOf } from '../batches/webhook-status';
import { ConflictError, NotFoundError } from '../errors';
import type { RouteModule } from './route-module';

const DeliveryParams = z.object({ id: z.string(), delivery: z.string() });
const DeliveriesQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(50),
});

const DeliveryView = z.object({
  id: z.uuid(),
  event_id: z.string().describe('The Standard Webhooks `webhook-id`: the same for every attempt of one event'),
  event: z.string(),
  attempt: z.number().int(),
  status: z
    .enum(['pending', 'succeeded', 'failed', 'disabled'])
    .describe('`failed` with `next_attempt_at` set is retried then'),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().int().nullable(),
  attempted_at: z.iso.datetime(),
  next_attempt_at: z.iso.datetime().nullable(),
  url: z.string(),
  payload: z.unknown(),
});
const DeliveryList = z.object({
  batch_id: z.uuid(),
  webhook_url: z.string().nullable(),
  webhook_status: z.enum(['not_sent', 'pending', 'sent', 'failed']),
  webhook_disabled: z.boolean(),
  page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int(),
  items: z.array(DeliveryView),
});
const Redelivery = z.object({
  delivery_id: z.uuid().describe('The delivery asked to be sent again'),
  event_id: z.string(),
  attempt: z.number().int().describe('Number of the new attempt; it appears in the log once made'),
  status: z.literal('queued'),
});

/** Outbox message id of one attempt of an event: the notifier schedules retries under the same ids (delivery-log.ts). */
const attemptMessageId = (eventId: string, attempt: number) => `${eventId}.${attempt}`;

export const webhooksRoutes: RouteModule = ({ deps, api }) => {
  const { prisma } = deps;

  api.get(
    '/api/v1/batches/:id/webhook-deliveries',
    {
      summary: 'Webhook deliveries of a batch: every attempt, newest first',
      tags: ['webhooks'],
      access: 'user',
      params: BatchParams,
      query: DeliveriesQuery,
      responses: {
        200: { description: 'A page of attempts', schema: DeliveryList },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const [total, rows, webhookStatus] = await Promise.all([
        prisma.webhookDelivery.count({ where: { batchId: batch.id } }),
        prisma.webhookDelivery.findMany({
          where: { batchId: batch.id },
          orderBy: [{ createdAt: 'desc' }, { attempt: 'desc' }],
          skip: (q.page - 1) * q.per_page,
          take: q.per_page,
        }),
        webhookStatusOf(prisma, batch),
      ]);
      res.set('Cache-Control', 'no-store').json({
        batch_id: batch.id,
        webhook_url: batch.webhookUrl,
        webhook_status: webhookStatus,
        webhook_disabled: batch.webhookDisabled,
        page: q.page,
        per_page: q.per_page,
        total,
        items: rows.map(deliveryView),
      });
    },
  );

  api.post(
    '/api/v1/batches/:id/webhook-deliveries/:delivery/redeliver',
    {
      summary: 'Send the event of a delivery again',
      description:
        "Queues a new attempt of the same event (same `webhook-id`, fresh timestamp and signature) to the batch's " +
        'current `webhook_url`, with the usual retries. Re-enables webhooks of a batch whose receiver had answered 410.',
      tags: ['webhooks'],
      access: 'user',
      params: DeliveryParams,
      responses: {
        202: { description: 'Queued', schema: Redelivery },
        404: { description: 'No such batch of yours, or no such delivery in it' },
        409: { description: 'The batch has no webhook_url, or the event is still being delivered' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const deliveryId = req.valid.params.delivery;
      const delivery = isUuid(deliveryId)
        ? await prisma.webhookDelivery.findFirst({ where: { id: deliveryId, batchId: batch.id } })
        : null;
      if (!delivery) throw new NotFoundError('no such delivery');
      if (!batch.webhookUrl) throw new ConflictError('the batch has no webhook_url', { code: 'no_webhook' });
      const event = WebhookEvent.safeParse(delivery.event);
      if (!event.success) throw new ConflictError(`unknown event ${delivery.event}`, { code: 'unknown_event' });

      const attempt = await prisma.$transaction(async (tx) => {
        const latest = await tx.webhookDelivery.findFirst({
          where: { eventId: delivery.eventId },
          orderBy: { attempt: 'desc' },
        });
        if (latest && (latest.status === 'pending' || (latest.status === 'failed' && latest.nextAttemptAt !== null))) {
          throw new ConflictError('this event is still being delivered; wait for its attempts to end', {
            code: 'delivery_in_progress',
            next_attempt_at: latest.nextAttemptAt?.toISOString() ?? null,
          });
        }
        const next = (latest?.attempt ?? delivery.attempt) + 1;
        if (batch.webhookDisabled) await tx.batch.update({ where: { id: batch.id }, data: { webhookDisabled: false } });
        // The same id for the same attempt number: two redeliver calls at once queue one attempt, not two.
        await enqueue(
          tx,
          'notify.webhook',
          { v: 1, batchId: batch.id, eventId: delivery.eventId, event: event.data, attempt: next },
          { messageId: attemptMessageId(delivery.eventId, next) },
        );
        return next;
      });
      res.status(202).json({ delivery_id: delivery.id, event_id: delivery.eventId, attempt, status: 'queued' });
    },
  );
};

function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    event_id: d.eventId,
    event: d.event,
    attempt: d.attempt,
    status: d.status,
    status_code: d.statusCode,
    error: d.error,
    duration_ms: d.durationMs,
    attempted_at: d.createdAt.toISOString(),
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    url: d.url,
    payload: d.payload,
  };
}
