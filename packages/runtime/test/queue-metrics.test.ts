import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@pixmill/db/testing';
import { createLogger, createRegistry, type Registry } from '@pixmill/observability';
import { sampleValue } from '@pixmill/observability/testing';
import { createMemoryTransport, enqueue, startOutboxRelay, type Transport } from '@pixmill/queue';
import { instrumentTransport, QUEUE_METRICS, registerOutboxMetrics } from '../src';

const log = createLogger('runtime-test', 'silent');

/** The value of one sample, read the way Prometheus would (a scrape runs the gauges' collect). */
async function sample(registry: Registry, name: string, labels: Record<string, string>, suffix = '') {
  return sampleValue(await registry.metrics(), `${name}${suffix}`, labels);
}

const job = () => ({ v: 1 as const, batchId: randomUUID(), imageId: randomUUID() });

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('outbox backlog metrics', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('counts unpublished rows by queue as due or delayed, with the age of the oldest due row', async () => {
    const registry = createRegistry('test');
    registerOutboxMetrics({ registry, prisma: db.prisma, log });
    await db.prisma.$transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await enqueue(tx, 'resize.image', job());
      await enqueue(tx, 'resize.image', job(), { delayMs: 3_600_000 });
    });
    await new Promise((r) => setTimeout(r, 20));

    expect(await sample(registry, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'due' })).toBe(3);
    expect(await sample(registry, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'delayed' })).toBe(1);
    expect(await sample(registry, QUEUE_METRICS.outboxOldestDue, { queue: 'resize.image' })).toBeGreaterThan(0);

    // Once the relay has published them, the same series read 0 (rather than disappearing).
    await db.prisma.outboxMessage.updateMany({ data: { publishedAt: new Date() } });
    await new Promise((r) => setTimeout(r, 1_100)); // past the per-scrape cache
    expect(await sample(registry, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'due' })).toBe(0);
    expect(await sample(registry, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'delayed' })).toBe(0);
    expect(await sample(registry, QUEUE_METRICS.outboxOldestDue, { queue: 'resize.image' })).toBe(0);
  });

  it('still answers the scrape when the database is unreachable', async () => {
    const registry = createRegistry('test');
    const gone = await createTestDatabase();
    await gone.drop();
    registerOutboxMetrics({ registry, prisma: gone.prisma, log });
    const text = await registry.metrics();
    expect(text).toContain(`# TYPE ${QUEUE_METRICS.outboxBacklog} gauge`);
    expect(text).not.toMatch(new RegExp(`^${QUEUE_METRICS.outboxBacklog}\\{`, 'm'));
  });
});

describe('instrumented transport', () => {
  let db: TestDatabase;
  let transport: Transport;
  let registry: Registry;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  beforeEach(() => {
    registry = createRegistry('test');
    const raw = createMemoryTransport({ maxAttempts: 2, retryDelaysMs: [0], log });
    transport = instrumentTransport(raw, { registry, prisma: db.prisma, log });
  });
  afterEach(() => transport.close());
  afterAll(() => db?.drop());

  it('measures the consume lag of jobs from the outbox, and jobs by outcome', async () => {
    const seen: string[] = [];
    await transport.consume('resize.image', async (payload) => {
      seen.push(payload.imageId);
      if (seen.length === 1) throw new Error('first run fails');
    });
    await db.prisma.$transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await enqueue(tx, 'resize.image', job());
    });
    const relay = startOutboxRelay({ prisma: db.prisma, transport, pollMs: 50, log });
    try {
      // 3 jobs, the first retried once: 4 runs, 1 error.
      await until(() => seen.length === 4);
      await until(
        async () => (await sample(registry, QUEUE_METRICS.consumeLag, { queue: 'resize.image' }, '_count')) === 3,
      );
    } finally {
      await relay.stop();
    }
    expect(await sample(registry, QUEUE_METRICS.consumeLag, { queue: 'resize.image' }, '_sum')).toBeGreaterThan(0);
    expect(await sample(registry, QUEUE_METRICS.jobs, { queue: 'resize.image', outcome: 'ok' })).toBe(3);
    expect(await sample(registry, QUEUE_METRICS.jobs, { queue: 'resize.image', outcome: 'error' })).toBe(1);
    expect(await sample(registry, QUEUE_METRICS.jobSeconds, { queue: 'resize.image' }, '_count')).toBe(4);
  });

  it('does not measure lag for a job published without the outbox', async () => {
    let ran = false;
    await transport.consume('resize.image', async () => {
      ran = true;
    });
    await transport.publish('resize.image', job());
    await until(() => ran);
    await new Promise((r) => setTimeout(r, 100));
    expect(await sample(registry, QUEUE_METRICS.consumeLag, { queue: 'resize.image' }, '_count')).toBeUndefined();
    expect(await sample(registry, QUEUE_METRICS.jobs, { queue: 'resize.image', outcome: 'ok' })).toBe(1);
  });

  it('reports the depth of the queues it consumes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await transport.consume('notify.webhook', () => gate, { prefetch: 1 });
    for (let i = 0; i < 3; i++) {
      await transport.publish('notify.webhook', {
        v: 1,
        batchId: randomUUID(),
        eventId: `evt_${randomUUID()}`,
        event: 'batch.completed',
        attempt: 1,
      });
    }
    await until(
      async () => (await sample(registry, QUEUE_METRICS.depth, { queue: 'notify.webhook', state: 'in_flight' })) === 1,
    );
    expect(await sample(registry, QUEUE_METRICS.depth, { queue: 'notify.webhook', state: 'ready' })).toBe(2);
    expect(await sample(registry, QUEUE_METRICS.depth, { queue: 'notify.webhook', state: 'dead_lettered' })).toBe(0);
    // Only consumed kinds are read.
    expect(await sample(registry, QUEUE_METRICS.depth, { queue: 'resize.image', state: 'ready' })).toBeUndefined();
    release();
  });
});
