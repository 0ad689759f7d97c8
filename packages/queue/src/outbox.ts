// The transactional outbox: a job is written in the same transaction as the DB change that implies it, and a relay
// publishes it afterwards, so nothing is lost while the broker is down.
import { randomUUID } from 'node:crypto';
import { jobSchemas, type JobKind, type JobPayload } from '@pixmill/contracts';
import type { Prisma, PrismaClient } from '@pixmill/db';
import { assertKind } from './delivery';
import { normaliseDelay } from './topology';

export type OutboxClient = Prisma.TransactionClient | PrismaClient;

/** The PostgreSQL NOTIFY channel on which committed outbox rows wake the relays. */
export const OUTBOX_CHANNEL = 'pixmill_outbox';

/**
 * Adds a job to the outbox inside the caller's transaction. The payload is validated now (a bad message is a bug of
 * the code that makes it). `messageId` is unique: enqueueing an id that is already there does nothing, so
 * `enqueue(tx, 'notify.webhook', p, { messageId: eventId })` is safe to repeat. `delayMs` holds the row in the
 * outbox (available_at, database clock) and is honoured to within the relay's poll interval.
 */
export async function enqueue<K extends JobKind>(
  tx: OutboxClient,
  kind: K,
  payload: JobPayload<K>,
  opts?: { messageId?: string; delayMs?: number },
): Promise<void> {
  assertKind(kind);
  const data = jobSchemas[kind].parse(payload);
  const messageId = opts?.messageId ?? randomUUID();
  const delayMs = normaliseDelay(opts?.delayMs);
  // ON CONFLICT instead of a caught unique violation: a failed statement would abort the caller's whole transaction.
  // pg_notify wakes listening relays when the transaction commits (repeats in one transaction fold into one), so
  // work starts at once instead of at the next poll; the same statement, so it costs no extra round trip.
  await tx.$executeRaw`
    INSERT INTO outbox_messages (queue, payload, message_id, available_at)
    SELECT ${kind}, ${JSON.stringify(data)}::jsonb, ${messageId}, now() + ${delayMs}::integer * interval '1 millisecond'
      FROM (SELECT pg_notify(${OUTBOX_CHANNEL}, '')) AS wake
    ON CONFLICT (message_id) DO NOTHING`;
}

/**
 * Adds many jobs of one kind in one statement (each with a fresh message id): one round trip for a whole batch of
 * images or chunks instead of one per job. Every payload is validated before anything is written.
 */
export async function enqueueMany<K extends JobKind>(
  tx: OutboxClient,
  kind: K,
  payloads: JobPayload<K>[],
): Promise<void> {
  assertKind(kind);
  if (payloads.length === 0) return;
  const bodies = payloads.map((p) => JSON.stringify(jobSchemas[kind].parse(p)));
  const ids = payloads.map(() => randomUUID());
  await tx.$executeRaw`
    INSERT INTO outbox_messages (queue, payload, message_id)
    SELECT ${kind}, j.payload::jsonb, j.message_id
      FROM unnest(${bodies}::text[], ${ids}::text[]) WITH ORDINALITY AS j(payload, message_id, n),
           (SELECT pg_notify(${OUTBOX_CHANNEL}, '')) AS wake
     ORDER BY j.n`;
}
