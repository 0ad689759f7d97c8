// The transactional outbox: a job is written in the same transaction as the DB change that implies it, and a relay
// publishes it afterwards, so nothing is lost while the broker is down.
import { randomUUID } from 'node:crypto';
import { jobSchemas, type JobKind, type JobPayload } from '@pixmill/contracts';
import { Prisma, type PrismaClient } from '@pixmill/db';
import { assertKind } from './delivery';
import { normaliseDelay } from './topology';

export type OutboxClient = Prisma.TransactionClient | PrismaClient;

/** The PostgreSQL NOTIFY channel on which committed outbox rows wake the relays. */
export const OUTBOX_CHANNEL = 'pixmill_outbox';

/** One SQL expression per field of a job's payload: a field added to the job's contract is a compile error here. */
export type PayloadSql<K extends JobKind> = { [F in keyof Required<JobPayload<K>>]: Prisma.Sql };

export type OutboxRowsSql = {
  /** `FROM … [WHERE …]`: one outbox row per row it yields; its columns may be used by the other expressions. */
  from: Prisma.Sql;
  /** Default: a fresh uuid per row. */
  messageId?: Prisma.Sql;
  /** Default: now (the database's clock). */
  availableAt?: Prisma.Sql;
};

/**
 * The one statement that writes outbox rows: the column list, and pg_notify, which wakes listening relays when the
 * transaction commits (repeats in one transaction fold into one), once per row written, so a statement that writes
 * nothing wakes nobody. Usable alone or as a data-modifying CTE (PostgreSQL runs those to completion, RETURNING
 * included, even when nothing reads them). A row whose message id is already there is skipped: ON CONFLICT instead
 * of a caught unique violation, which would abort the caller's whole transaction.
 */
function insertOutboxRows(kind: JobKind, payload: Prisma.Sql, o: OutboxRowsSql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO outbox_messages (queue, payload, message_id, available_at)
    SELECT ${kind}, ${payload}, ${o.messageId ?? Prisma.sql`gen_random_uuid()::text`}, ${o.availableAt ?? Prisma.sql`now()`}
    ${o.from}
    ON CONFLICT (message_id) DO NOTHING
    RETURNING pg_notify(${OUTBOX_CHANNEL}, '')`;
}

/**
 * Outbox rows of `kind` built in SQL, for a statement that knows its jobs only in the database (one job per image
 * row it selects, an event for the batch it just ended): `payload` gives each field of the job's contract as an SQL
 * expression, and they are assembled with jsonb_build_object.
 */
export function outboxRowsSql<K extends JobKind>(kind: K, payload: PayloadSql<K>, o: OutboxRowsSql): Prisma.Sql {
  assertKind(kind);
  const fields = Object.entries(payload as Record<string, Prisma.Sql>).map(
    ([name, value]) => Prisma.sql`${name}::text, ${value}`,
  );
  return insertOutboxRows(kind, Prisma.sql`jsonb_build_object(${Prisma.join(fields)})`, o);
}

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
  await tx.$executeRaw(
    insertOutboxRows(kind, Prisma.sql`${JSON.stringify(data)}::jsonb`, {
      from: Prisma.empty,
      messageId: Prisma.sql`${messageId}`,
      availableAt: Prisma.sql`now() + ${delayMs}::integer * interval '1 millisecond'`,
    }),
  );
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
  await tx.$executeRaw(
    insertOutboxRows(kind, Prisma.sql`j.payload::jsonb`, {
      from: Prisma.sql`FROM unnest(${bodies}::text[], ${ids}::text[]) WITH ORDINALITY AS j(payload, message_id, n) ORDER BY j.n`,
      messageId: Prisma.sql`j.message_id`,
    }),
  );
}
