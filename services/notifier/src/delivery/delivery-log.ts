// The webhook_deliveries rows: one per attempt, claimed before the request goes out and completed after, so a
// message delivered twice sends once, and an attempt whose worker died is taken over once its lease has run out.
import { randomUUID } from 'node:crypto';
import type { NotifyWebhookJob } from '@pixmill/contracts';
import type { Prisma, PrismaClient, WebhookDelivery } from '@pixmill/db';
import { enqueue } from '@pixmill/queue';
import type { WebhookPayload } from './webhook-payload';

export type DeliveryDb = Pick<PrismaClient, 'webhookDelivery' | 'batch' | '$transaction'>;

export type Claim =
  /** This worker sends the attempt; `claimedAt` (the row's created_at) is its claim token. */
  | { kind: 'claimed'; id: string; claimedAt: Date }
  /** The attempt is already recorded: nothing to do. */
  | { kind: 'done' }
  /** Another worker holds the attempt (or held it and died): look again when its lease ends. */
  | { kind: 'busy'; claimedAt: Date; leaseEndsInMs: number };

/**
 * Takes attempt `job.attempt` of the event. The unique (event_id, attempt) key makes the insert the lock; a pending
 * row older than the lease belongs to a worker that died mid-attempt (a live one records within its timeout), so
 * it is taken over by moving created_at, guarded by the value it leaves.
 */
export async function claimAttempt(
  db: DeliveryDb,
  job: NotifyWebhookJob,
  row: { url: string; payload: WebhookPayload },
  o: { leaseMs: number; now: Date },
): Promise<Claim> {
  const id = randomUUID();
  const { count } = await db.webhookDelivery.createMany({
    data: [
      {
        id,
        batchId: job.batchId,
        eventId: job.eventId,
        event: job.event,
        attempt: job.attempt,
        url: row.url,
        payload: row.payload as unknown as Prisma.InputJsonValue,
        status: 'pending',
        createdAt: o.now,
      },
    ],
    skipDuplicates: true,
  });
  if (count === 1) return { kind: 'claimed', id, claimedAt: o.now };

  const existing = await db.webhookDelivery.findUnique({
    where: { eventId_attempt: { eventId: job.eventId, attempt: job.attempt } },
  });
  if (!existing) return { kind: 'busy', claimedAt: o.now, leaseEndsInMs: 0 }; // deleted meanwhile (batch purged): look again
  if (existing.status !== 'pending') return { kind: 'done' };
  const age = o.now.getTime() - existing.createdAt.getTime();
  if (age < o.leaseMs) return { kind: 'busy', claimedAt: existing.createdAt, leaseEndsInMs: o.leaseMs - age };
  const taken = await db.webhookDelivery.updateMany({
    where: { id: existing.id, status: 'pending', createdAt: existing.createdAt },
    data: { createdAt: o.now, url: row.url, payload: row.payload as unknown as Prisma.InputJsonValue },
  });
  return taken.count === 1
    ? { kind: 'claimed', id: existing.id, claimedAt: o.now }
    : { kind: 'busy', claimedAt: o.now, leaseEndsInMs: 0 };
}

export type AttemptRecord = {
  status: 'succeeded' | 'failed' | 'disabled';
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Set when another attempt is scheduled. */
  next?: { at: Date; delayMs: number };
};

/**
 * Completes the claimed row and, in the same transaction, schedules the next attempt through the outbox (so a
 * notifier killed now loses nothing) or disables the batch's webhooks (410). Answers false when the claim was lost
 * to a takeover, in which case nothing is written.
 */
export async function recordAttempt(
  db: DeliveryDb,
  job: NotifyWebhookJob,
  claim: { id: string; claimedAt: Date },
  r: AttemptRecord,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.webhookDelivery.updateMany({
      where: { id: claim.id, status: 'pending', createdAt: claim.claimedAt },
      data: {
        status: r.status,
        statusCode: r.statusCode,
        error: r.error,
        durationMs: r.durationMs,
        nextAttemptAt: r.next?.at ?? null,
      },
    });
    if (count === 0) return false;
    if (r.status === 'disabled') {
      await tx.batch.update({ where: { id: job.batchId }, data: { webhookDisabled: true } });
    }
    if (r.next) {
      const attempt = job.attempt + 1;
      // The id is what a manual redelivery would use for the same attempt number, so the two can't both go out.
      await enqueue(
        tx,
        'notify.webhook',
        { ...job, attempt },
        { messageId: attemptMessageId(job.eventId, attempt), delayMs: r.next.delayMs },
      );
    }
    return true;
  });
}

/** Outbox message id of attempt `attempt` of an event (the gateway's redeliver route uses the same). */
export const attemptMessageId = (eventId: string, attempt: number): string => `${eventId}.${attempt}`;

/** The earlier rows of an event, oldest first. */
export function eventRows(db: Pick<PrismaClient, 'webhookDelivery'>, eventId: string): Promise<WebhookDelivery[]> {
  return db.webhookDelivery.findMany({ where: { eventId }, orderBy: { attempt: 'asc' } });
}
