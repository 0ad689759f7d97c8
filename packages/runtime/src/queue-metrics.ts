// Queue-side metrics every service exposes on /metrics: how long a job waited before a worker took it (consume lag),
// how its handlers end and take, how many messages wait in the queues it consumes, and how far the outbox is behind.
import type { PrismaClient } from '@pixmill/db';
import { Counter, Gauge, Histogram, metric, type Logger, type Registry } from '@pixmill/observability';
import type { Handler, Transport } from '@pixmill/queue';

type JobKind = Parameters<Transport['depth']>[0];

export const QUEUE_METRICS = {
  consumeLag: 'pixmill_queue_consume_lag_seconds',
  jobs: 'pixmill_jobs_total',
  jobSeconds: 'pixmill_job_duration_seconds',
  depth: 'pixmill_queue_depth_messages',
  outboxBacklog: 'pixmill_outbox_backlog_messages',
  outboxOldestDue: 'pixmill_outbox_oldest_due_seconds',
} as const;

// A scrape must answer even when the broker or the database does not.
const COLLECT_TIMEOUT_MS = 2_000;

type LagDb = Pick<PrismaClient, '$queryRaw'>;

/**
 * Wraps a transport so that every handler it runs is measured: jobs by outcome and duration, and, for a job's first
 * delivery, the consume lag, the time from when its outbox row became due to when a worker took it (both ends read on
 * the database's clock, so pods' clocks do not matter). Queue depths of the consumed kinds are read on each scrape.
 */
export function instrumentTransport(t: Transport, o: { registry: Registry; prisma: LagDb; log: Logger }): Transport {
  const { registry } = o;
  const lag = metric(
    registry,
    QUEUE_METRICS.consumeLag,
    () =>
      new Histogram({
        name: QUEUE_METRICS.consumeLag,
        help: 'Time from a job becoming due in the outbox to a worker starting it (first delivery), by queue.',
        labelNames: ['queue'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        registers: [registry],
      }),
  ) as Histogram<'queue'>;
  const jobs = metric(
    registry,
    QUEUE_METRICS.jobs,
    () =>
      new Counter({
        name: QUEUE_METRICS.jobs,
        help: 'Jobs handled by queue and outcome (ok; error: the transport retries or dead-letters it).',
        labelNames: ['queue', 'outcome'] as const,
        registers: [registry],
      }),
  ) as Counter<'queue' | 'outcome'>;
  const seconds = metric(
    registry,
    QUEUE_METRICS.jobSeconds,
    () =>
      new Histogram({
        name: QUEUE_METRICS.jobSeconds,
        help: 'Duration of one job handler run, by queue.',
        labelNames: ['queue'] as const,
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        registers: [registry],
      }),
  ) as Histogram<'queue'>;

  const consumed = new Set<JobKind>();
  metric(
    registry,
    QUEUE_METRICS.depth,
    () =>
      new Gauge({
        name: QUEUE_METRICS.depth,
        help: 'Messages of the queues this process consumes: ready, in_flight (here), retrying, dead_lettered.',
        labelNames: ['queue', 'state'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          await Promise.all(
            [...consumed].map(async (kind) => {
              try {
                const d = await withTimeout(t.depth(kind), COLLECT_TIMEOUT_MS);
                this.set({ queue: kind, state: 'ready' }, d.ready);
                this.set({ queue: kind, state: 'in_flight' }, d.unacked);
                this.set({ queue: kind, state: 'retrying' }, d.retrying);
                this.set({ queue: kind, state: 'dead_lettered' }, d.deadLettered);
              } catch (err) {
                o.log.debug({ err: (err as Error).message, queue: kind }, 'queue depth not read for metrics');
              }
            }),
          );
        },
      }),
  );

  const observeLag = async (kind: JobKind, messageId: string) => {
    try {
      // A message published without the outbox has no row: nothing to observe.
      const rows = await o.prisma.$queryRaw<{ lag: number }[]>`
        SELECT EXTRACT(EPOCH FROM clock_timestamp() - (CASE WHEN attempts = 0 THEN available_at ELSE created_at END))::float8 AS lag
          FROM outbox_messages WHERE message_id = ${messageId}`;
      const seconds = rows[0]?.lag;
      if (typeof seconds === 'number' && Number.isFinite(seconds)) lag.observe({ queue: kind }, Math.max(0, seconds));
    } catch (err) {
      o.log.debug({ err: (err as Error).message }, 'consume lag not measured');
    }
  };

  return {
    publish: (kind, payload, opts) => t.publish(kind, payload, opts),
    consume<K extends JobKind>(kind: K, handler: Handler<K>, opts?: Parameters<Transport['consume']>[2]) {
      consumed.add(kind);
      const measured: Handler<K> = async (payload, ctx) => {
        // Retries wait out their own delay and redeliveries a dead worker: only a first delivery measures waiting.
        if (ctx.attempt === 1 && !ctx.redelivered) void observeLag(kind, ctx.messageId);
        const end = seconds.startTimer({ queue: kind });
        try {
          await handler(payload, ctx);
          jobs.inc({ queue: kind, outcome: 'ok' });
        } catch (err) {
          jobs.inc({ queue: kind, outcome: 'error' });
          throw err;
        } finally {
          end();
        }
      };
      return t.consume(kind, measured, opts);
    },
    depth: (kind) => t.depth(kind),
    purgeDeadLetters: (kind) => t.purgeDeadLetters(kind),
    peekDeadLetters: (kind, limit) => t.peekDeadLetters(kind, limit),
    requeueDeadLetters: (kind) => t.requeueDeadLetters(kind),
    check: () => t.check(),
    close: () => t.close(),
  };
}

type BacklogRow = { queue: string; due: number; delayed: number; oldest: number };

/**
 * Outbox backlog, read from the database on each scrape: unpublished rows by queue, due (the relay should publish
 * them now) or delayed (scheduled retries), and the age of the oldest due row. A growing due backlog means the relay
 * cannot reach the broker. Every process reports the same table: aggregate with max(), not sum().
 */
export function registerOutboxMetrics(o: { registry: Registry; prisma: LagDb; log: Logger }): void {
  const { registry } = o;
  // One query serves both gauges of a scrape.
  let cached: { at: number; rows: Promise<BacklogRow[]> } | undefined;
  const read = (): Promise<BacklogRow[]> => {
    if (cached && Date.now() - cached.at < 1_000) return cached.rows;
    const rows = withTimeout(
      o.prisma.$queryRaw<BacklogRow[]>`
        SELECT queue,
               (count(*) FILTER (WHERE available_at <= clock_timestamp()))::int AS due,
               (count(*) FILTER (WHERE available_at > clock_timestamp()))::int AS delayed,
               COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(available_at) FILTER (WHERE available_at <= clock_timestamp())), 0)::float8 AS oldest
          FROM outbox_messages
         WHERE published_at IS NULL
         GROUP BY queue`,
      COLLECT_TIMEOUT_MS,
    );
    cached = { at: Date.now(), rows };
    rows.catch(() => {
      if (cached?.rows === rows) cached = undefined;
    });
    return rows;
  };
  // Queues seen once keep reporting (0 when empty) rather than vanishing from the series.
  const seen = new Set<string>();
  const collectInto = async (
    gauge: Gauge<'queue' | 'state'> | Gauge<'queue'>,
    set: (rows: Map<string, BacklogRow>, queue: string) => void,
  ) => {
    let rows: BacklogRow[];
    try {
      rows = await read();
    } catch (err) {
      gauge.reset();
      o.log.debug({ err: (err as Error).message }, 'outbox backlog not read for metrics');
      return;
    }
    const byQueue = new Map(rows.map((r) => [r.queue, r]));
    for (const q of byQueue.keys()) seen.add(q);
    for (const q of seen) set(byQueue, q);
  };

  metric(
    registry,
    QUEUE_METRICS.outboxBacklog,
    () =>
      new Gauge({
        name: QUEUE_METRICS.outboxBacklog,
        help: 'Outbox rows not yet published, by queue and state (due: publish now; delayed: scheduled for later).',
        labelNames: ['queue', 'state'] as const,
        registers: [registry],
        async collect() {
          await collectInto(this, (rows, queue) => {
            this.set({ queue, state: 'due' }, rows.get(queue)?.due ?? 0);
            this.set({ queue, state: 'delayed' }, rows.get(queue)?.delayed ?? 0);
          });
        },
      }),
  );
  metric(
    registry,
    QUEUE_METRICS.outboxOldestDue,
    () =>
      new Gauge({
        name: QUEUE_METRICS.outboxOldestDue,
        help: 'Age of the oldest due, unpublished outbox row by queue (0 when the relay is caught up).',
        labelNames: ['queue'] as const,
        registers: [registry],
        async collect() {
          await collectInto(this, (rows, queue) => this.set({ queue }, Math.max(0, rows.get(queue)?.oldest ?? 0)));
        },
      }),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
