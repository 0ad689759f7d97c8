// Publishes outbox rows. Several relays run (one in every process: gateway replicas, every worker): rows are claimed
// with FOR UPDATE SKIP LOCKED and stay locked until their publication is recorded, so no row is published by two
// relays. One of them, the leader, is woken by each commit; the others poll.
import pg from 'pg';
import type { JobKind, JobPayload } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import { assertKind } from './delivery';
import { OUTBOX_CHANNEL } from './outbox';
import type { Transport } from './transport';

export type OutboxRelayOptions = {
  prisma: PrismaClient;
  transport: Transport;
  /** Wait between passes when the last one found less than a full batch. */
  pollMs: number;
  /** Rows claimed per pass. Default 100. */
  batchSize?: number;
  log: Logger;
  /**
   * PostgreSQL URL to LISTEN on for new rows (see OUTBOX_CHANNEL): a pass starts as soon as a row is committed, and
   * polling remains the fallback. Leave unset where LISTEN is not served (the embedded database).
   */
  listenUrl?: string;
  /** How often a relay that is not the leader tries to become it (listenUrl only). Default 2000. */
  electionMs?: number;
};

export interface OutboxRelay {
  /** Stops polling and waits for a pass in progress. */
  stop(): Promise<void>;
  /** Runs one pass now (after any pass in progress); answers how many rows it published. */
  flush(): Promise<number>;
  /** Whether this relay is the one woken by committed rows (it holds the leader lock and LISTENs). */
  isLeader(): boolean;
}

type Row = { id: bigint; queue: string; payload: unknown; messageId: string; attempts: number };

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
// A pass holds its rows' locks while it publishes; the transport bounds each publish well below this.
const PASS_TIMEOUT_MS = 60_000;
// The session advisory lock the leading relay holds on its LISTEN connection (per database, so per installation).
const LEADER_LOCK = 'pixmill.outbox-relay.leader';

export function startOutboxRelay(o: OutboxRelayOptions): OutboxRelay {
  const batchSize = o.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be an integer >= 1, got ${batchSize}`);
  const log = o.log.child({ component: 'outbox-relay' });
  let stopped = false;
  let wake: (() => void) | undefined;
  // A notification that came while a pass ran: the loop goes round again at once instead of sleeping.
  let woken = false;
  let chain: Promise<unknown> = Promise.resolve();
  const listener = o.listenUrl
    ? listenForRows(o.listenUrl, o.electionMs ?? 2_000, log, () => {
        woken = true;
        wake?.();
      })
    : undefined;

  const flush = (): Promise<number> => {
    const p = chain.then(() => pass(o, batchSize, log));
    chain = p.catch(() => undefined);
    return p;
  };

  const loop = async () => {
    while (!stopped) {
      let published = 0;
      try {
        published = await flush();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'outbox pass failed');
      }
      if (stopped || published >= batchSize) continue;
      if (woken) {
        woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  const done = loop();

  return {
    flush,
    isLeader: () => listener?.isLeader() ?? false,
    async stop() {
      stopped = true;
      wake?.();
      await listener?.close();
      await done;
      await chain;
    },
  };
}

async function pass(o: OutboxRelayOptions, batchSize: number, log: Logger): Promise<number> {
  return o.prisma.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<Row[]>`
        SELECT id, queue, payload, message_id AS "messageId", attempts
        FROM outbox_messages
        WHERE published_at IS NULL AND available_at <= now()
        ORDER BY id
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      // Concurrent publishes pipeline on the confirm channel; each resolves on its own broker confirm.
      const results = await Promise.allSettled(rows.map((row) => publishRow(o.transport, row)));
      const published: bigint[] = [];
      const failures: { row: Row; error: string }[] = [];
      results.forEach((r, i) => {
        const row = rows[i] as Row;
        if (r.status === 'fulfilled') published.push(row.id);
        else failures.push({ row, error: describe(r.reason) });
      });
      if (published.length > 0) {
        await tx.outboxMessage.updateMany({ where: { id: { in: published } }, data: { publishedAt: new Date() } });
      }
      for (const { row, error } of failures) {
        const backoffMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(row.attempts, 16));
        await tx.outboxMessage.update({
          where: { id: row.id },
          data: { attempts: { increment: 1 }, lastError: error, availableAt: new Date(Date.now() + backoffMs) },
        });
      }
      if (published.length > 0) log.debug({ published: published.length }, 'outbox rows published');
      if (failures.length > 0) {
        log.warn(
          { failed: failures.length, published: published.length, err: failures[0]?.error },
          'outbox publish failed; will retry',
        );
      }
      return published.length;
    },
    { timeout: PASS_TIMEOUT_MS, maxWait: 10_000 },
  );
}

// async, so a row of an unknown kind fails alone (recorded on the row) instead of failing the whole pass.
async function publishRow(transport: Transport, row: Row): Promise<void> {
  assertKind(row.queue);
  return transport.publish(row.queue, row.payload as JobPayload<JobKind>, { messageId: row.messageId });
}

function describe(err: unknown): string {
  const s = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return s.length > 1000 ? `${s.slice(0, 1000)}…` : s;
}

/**
 * LISTENs on the outbox channel while this relay leads. Every process runs a relay; when each LISTENed, every commit
 * woke them all and all but one ran an empty transaction (three to fifteen per commit, growing with the replicas).
 * Now the relay whose connection holds the leader lock LISTENs; the others poll, and try the lock every `electionMs`:
 * when the leader's process or connection ends, PostgreSQL drops its session lock and another relay takes over.
 */
function listenForRows(
  url: string,
  electionMs: number,
  log: Logger,
  onRow: () => void,
): { close(): Promise<void>; isLeader(): boolean } {
  let client: pg.Client | undefined;
  let leader = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = () => {
    const c = new pg.Client({ connectionString: url });
    client = c;
    c.on('notification', onRow);
    let failed = false;
    c.on('error', (err) => {
      if (failed) return;
      failed = true;
      clearTimeout(retry);
      if (leader) log.warn({ err: err.message }, 'leading outbox relay lost its connection; polling until it is back');
      leader = false;
      void c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(connect, 1_000);
    });
    const elect = async (): Promise<void> => {
      if (closed || failed) return;
      const { rows } = await c.query<{ leader: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS leader', [
        LEADER_LOCK,
      ]);
      if (!rows[0]?.leader) {
        retry = setTimeout(() => void elect().catch((err: Error) => c.emit('error', err)), electionMs);
        return;
      }
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
      leader = true;
      log.info('this outbox relay leads: committed rows wake it');
      onRow(); // rows committed before it listened
    };
    c.connect()
      .then(elect)
      .catch((err: Error) => c.emit('error', err));
  };
  connect();
  return {
    isLeader: () => leader,
    async close() {
      closed = true;
      leader = false;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
