// The outbox against the real PostgreSQL and RabbitMQ: nothing lost while the broker is down, nothing published twice.
import { randomUUID } from 'node:crypto';
import type { ResizeImageJob } from '@pixmill/contracts';
import { createTestDatabase, type TestDatabase } from '@pixmill/db/testing';
import { createAmqpTransport, enqueue, enqueueMany, startOutboxRelay, type OutboxRelay, type Transport } from '../src';
import { amqpUrl, deferred, deleteQueuesUnder, log, prefixes, waitFor } from './helpers';

const names = prefixes();
const kind = 'resize.image' as const;
const job = (): ResizeImageJob => ({ v: 1, batchId: randomUUID(), imageId: randomUUID() });

let db: TestDatabase;
let prefix: string;
const transports: Transport[] = [];
const relays: OutboxRelay[] = [];

function transport(url = amqpUrl): Transport {
  const t = createAmqpTransport({
    url,
    prefix,
    prefetch: 4,
    maxAttempts: 3,
    retryDelaysMs: [50],
    log,
    connectWaitMs: 200,
  });
  transports.push(t);
  return t;
}
/** Polls rarely, so what a test observes is its own flush() calls (and the relay's one pass at start). */
function relay(t: Transport, batchSize?: number): OutboxRelay {
  const r = startOutboxRelay({
    prisma: db.prisma,
    transport: t,
    pollMs: 60_000,
    log,
    ...(batchSize ? { batchSize } : {}),
  });
  relays.push(r);
  return r;
}
const unpublished = () => db.prisma.outboxMessage.findMany({ where: { publishedAt: null }, orderBy: { id: 'asc' } });

beforeEach(async () => {
  db = await createTestDatabase();
  prefix = names.next();
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await db.drop();
});
afterAll(() => deleteQueuesUnder(names.base));

describe('outbox', () => {
  it('keeps rows enqueued while the broker is unreachable, records the failures, and publishes them later', async () => {
    const ids = ['row-1', 'row-2', 'row-3'];
    await db.prisma.$transaction(async (tx) => {
      for (const messageId of ids) await enqueue(tx, kind, job(), { messageId });
    });

    const down = relay(transport('amqp://guest:guest@127.0.0.1:1'));
    expect(await down.flush()).toBe(0);
    const waiting = await unpublished();
    expect(waiting.map((r) => r.messageId)).toEqual(ids);
    for (const row of waiting) {
      expect(row.attempts).toBe(1);
      expect(row.lastError).toMatch(/broker unreachable/);
      expect(row.availableAt.getTime()).toBeGreaterThan(row.createdAt.getTime());
    }
    await down.stop();

    const up = transport();
    const received: string[] = [];
    await up.consume(kind, async (_p, ctx) => {
      received.push(ctx.messageId);
    });
    const working = relay(up);
    // The failed rows come due after their backoff (about a second).
    await waitFor(async () => (await working.flush(), (await unpublished()).length === 0), 'rows published');
    await waitFor(() => received.length === 3, 'deliveries');
    expect(received.sort()).toEqual(ids);
    const rows = await db.prisma.outboxMessage.findMany();
    expect(rows.every((r) => r.publishedAt !== null)).toBe(true);
  });

  it('publishes nothing for an enqueue in a rolled-back transaction', async () => {
    await expect(
      db.prisma.$transaction(async (tx) => {
        await enqueue(tx, kind, job(), { messageId: 'rolled-back' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await enqueue(db.prisma, kind, job(), { messageId: 'committed' });

    const t = transport();
    await relay(t).flush();
    await waitFor(async () => (await unpublished()).length === 0, 'committed row published');
    expect((await db.prisma.outboxMessage.findMany()).map((r) => r.messageId)).toEqual(['committed']);
    expect((await t.depth(kind)).ready).toBe(1);
  });

  it('never lets two relays publish the same row', async () => {
    for (let i = 1; i <= 20; i++)
      await enqueue(db.prisma, kind, job(), { messageId: `m-${String(i).padStart(2, '0')}` });
    const real = transport();
    const gate = deferred();
    const seenA: string[] = [];
    const seenB: string[] = [];
    // Relay A claims its batch and then stalls mid-publish, holding its row locks.
    const a = relay(recording(real, seenA, gate.promise), 10);
    await waitFor(() => seenA.length === 10, 'relay A holding a batch');
    const b = relay(recording(real, seenB), 10);
    await waitFor(() => seenB.length === 10, 'relay B publishing');
    expect(await b.flush()).toBe(0); // what is left is locked by A
    gate.resolve();
    expect(await a.flush()).toBe(0);

    expect(seenA).toEqual(range(1, 10));
    expect(seenB).toEqual(range(11, 20));
    expect(await unpublished()).toEqual([]);
    expect((await real.depth(kind)).ready).toBe(20);
  });

  it('validates the payload and ignores a second enqueue of the same message id', async () => {
    const first = job();
    await enqueue(db.prisma, kind, first, { messageId: 'event-1' });
    await db.prisma.$transaction(async (tx) => {
      await enqueue(tx, kind, job(), { messageId: 'event-1' });
      // The transaction is still usable after the duplicate.
      await enqueue(tx, kind, job(), { messageId: 'event-2' });
    });
    await expect(enqueue(db.prisma, kind, { v: 1, batchId: 'nope', imageId: randomUUID() })).rejects.toThrow(/batchId/);

    const rows = await db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.messageId, r.queue])).toEqual([
      ['event-1', kind],
      ['event-2', kind],
    ]);
    expect(rows[0]?.payload).toEqual(first);
  });

  it('writes many jobs in one statement, in order, each with its own message id, and publishes them all', async () => {
    const jobs = Array.from({ length: 40 }, job);
    await db.prisma.$transaction((tx) => enqueueMany(tx, kind, jobs));
    const rows = await unpublished();
    expect(rows.map((r) => r.payload)).toEqual(jobs);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(40);
    expect(rows.every((r) => r.queue === kind && r.availableAt <= new Date())).toBe(true);

    // One bad payload and nothing of the call is written.
    await expect(
      enqueueMany(db.prisma, kind, [job(), { v: 1, batchId: 'nope', imageId: randomUUID() }]),
    ).rejects.toThrow(/batchId/);
    await enqueueMany(db.prisma, kind, []);
    expect(await db.prisma.outboxMessage.count()).toBe(40);

    const t = transport();
    const received: string[] = [];
    await t.consume(kind, async (p) => {
      received.push((p as ResizeImageJob).imageId);
    });
    await relay(t).flush();
    await waitFor(() => received.length === 40, 'all 40 jobs delivered');
    expect(received.sort()).toEqual(jobs.map((j) => j.imageId).sort());
  });

  it('records a row of an unknown kind as failed without holding back the others', async () => {
    // As older or newer code might have written it.
    await db.prisma.outboxMessage.create({ data: { queue: 'resize.retired', payload: {}, messageId: 'orphan' } });
    await enqueue(db.prisma, kind, job(), { messageId: 'fine' });
    const r = relay(transport());
    await r.flush();
    const rows = await db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((x) => [x.messageId, x.publishedAt !== null, x.attempts])).toEqual([
      ['orphan', false, 1],
      ['fine', true, 0],
    ]);
    expect(rows[0]?.lastError).toMatch(/unknown job kind: resize.retired/);
  });

  it('holds a delayed row until it is due', async () => {
    await enqueue(db.prisma, kind, job(), { messageId: 'later', delayMs: 60_000 });
    const t = transport();
    expect(await relay(t).flush()).toBe(0);
    const [row] = await unpublished();
    expect(row?.messageId).toBe('later');
    expect(row?.attempts).toBe(0);
    expect(row!.availableAt.getTime() - row!.createdAt.getTime()).toBeGreaterThanOrEqual(59_000);
  });

  it('publishes on its own, polling, without flush()', async () => {
    const t = transport();
    const received: string[] = [];
    await t.consume(kind, async (_p, ctx) => {
      received.push(ctx.messageId);
    });
    const r = startOutboxRelay({ prisma: db.prisma, transport: t, pollMs: 50, log });
    relays.push(r);
    await enqueue(db.prisma, kind, job(), { messageId: 'polled' });
    await waitFor(() => received.includes('polled'), 'delivery through the polling relay');
  });
});

describe('outbox relay woken by NOTIFY', () => {
  it('publishes a committed row at once, long before its next poll', async () => {
    const t = transport();
    const received: string[] = [];
    await t.consume(kind, async (_p, ctx) => {
      received.push(ctx.messageId);
    });
    // A poll interval far longer than the test: only the notification can deliver the row in time.
    const r = startOutboxRelay({ prisma: db.prisma, transport: t, pollMs: 600_000, log, listenUrl: db.url });
    relays.push(r);
    await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN established
    await db.prisma.$transaction((tx) => enqueue(tx, kind, job(), { messageId: 'notified' }));
    await waitFor(() => received.includes('notified'), 'delivery woken by NOTIFY', 10_000);
  });

  /** A relay woken by NOTIFY whose polls never come during a test: what it publishes, a notification woke it for. */
  const listening = (t: Transport, electionMs = 2_000) => {
    const r = startOutboxRelay({
      prisma: db.prisma,
      transport: t,
      pollMs: 600_000,
      log,
      listenUrl: db.url,
      electionMs,
    });
    relays.push(r);
    return r;
  };

  it('wakes only the leading relay, however many run', async () => {
    const real = transport();
    const [seenA, seenB, seenC] = [[], [], []] as string[][];
    const a = listening(recording(real, seenA!));
    await waitFor(() => a.isLeader(), 'relay A leading');
    const others = [listening(recording(real, seenB!), 50), listening(recording(real, seenC!), 50)];
    await new Promise((resolve) => setTimeout(resolve, 300)); // several elections lost
    expect(others.map((r) => r.isLeader())).toEqual([false, false]);
    for (let i = 1; i <= 10; i++) {
      await db.prisma.$transaction((tx) => enqueue(tx, kind, job(), { messageId: `m-${String(i).padStart(2, '0')}` }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(() => seenA!.length === 10, 'every row published by the leader', 10_000);
    expect(seenA).toEqual(range(1, 10));
    expect([...seenB!, ...seenC!]).toEqual([]);
  });

  it('hands the lead to another relay when the leader stops', async () => {
    const t = transport();
    const received: string[] = [];
    await t.consume(kind, async (_p, ctx) => {
      received.push(ctx.messageId);
    });
    const a = listening(t);
    await waitFor(() => a.isLeader(), 'relay A leading');
    const b = listening(t, 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    await waitFor(() => b.isLeader(), 'relay B taking the lead', 5_000);
    await db.prisma.$transaction((tx) => enqueue(tx, kind, job(), { messageId: 'after-handover' }));
    await waitFor(() => received.includes('after-handover'), 'delivery woken by NOTIFY at the new leader', 10_000);
  });
});

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `m-${String(from + i).padStart(2, '0')}`);
}

/** Our Transport, recording what the relay publishes (and optionally stalling before it does). */
function recording(inner: Transport, seen: string[], gate?: Promise<void>): Transport {
  return {
    async publish(k, payload, opts) {
      seen.push(opts?.messageId ?? '');
      await gate;
      return inner.publish(k, payload, opts);
    },
    consume: (k, h, o) => inner.consume(k, h, o),
    depth: (k) => inner.depth(k),
    purgeDeadLetters: (k) => inner.purgeDeadLetters(k),
    peekDeadLetters: (k, n) => inner.peekDeadLetters(k, n),
    requeueDeadLetters: (k) => inner.requeueDeadLetters(k),
    check: () => inner.check(),
    close: () => inner.close(),
  };
}
