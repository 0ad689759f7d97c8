// One behavioural suite, run against the RabbitMQ transport and the in-process transport: same semantics.
import { randomUUID } from 'node:crypto';
import type { JobKind, ResizeImageJob } from '@pixmill/contracts';
import {
  PermanentError,
  QUEUE_HEADERS,
  createAmqpTransport,
  createDependencyGate,
  createMemoryTransport,
  deadLetterQueue,
  mainQueue,
  type ClosableDependencyGate,
  type DependencyGate,
  type JobContext,
  type MemoryTransport,
  type Transport,
} from '../src';
import {
  amqpUrl,
  deferred,
  deleteQueuesUnder,
  drainAmqp,
  log,
  prefixes,
  publishRawAmqp,
  sleep,
  waitFor,
} from './helpers';

type Settings = { maxAttempts?: number; retryDelaysMs?: number[]; prefetch?: number; dependencies?: DependencyGate };
type Dead = { messageId: string | undefined; reason: string; error: string };

interface Harness {
  make(s?: Settings): Transport;
  /** A body that did not come from our publish (not JSON, or another schema). */
  publishRaw(t: Transport, kind: JobKind, body: string, messageId: string): Promise<void>;
  /** Takes the dead letters of a kind, with the reason each was dead-lettered for. */
  takeDeadLetters(t: Transport, kind: JobKind): Promise<Dead[]>;
  /** Messages still ready for `kind` as a fresh transport sees them (only where messages outlive the transport). */
  readyAfterClose?(kind: JobKind): Promise<number>;
}

const names = prefixes();
const defaults = { maxAttempts: 3, retryDelaysMs: [50, 100], prefetch: 4 };

function amqpHarness(): Harness {
  const prefix = names.next();
  const make = (s: Settings = {}) => createAmqpTransport({ url: amqpUrl, prefix, log, ...defaults, ...s });
  return {
    make,
    async publishRaw(t, kind, body, messageId) {
      await t.depth(kind); // declares the topology
      await publishRawAmqp(mainQueue(prefix, kind), body, messageId);
    },
    async takeDeadLetters(_t, kind) {
      return (await drainAmqp(deadLetterQueue(prefix, kind))).map((m) => ({
        messageId: m.messageId,
        reason: String(m.headers[QUEUE_HEADERS.deadReason]),
        error: String(m.headers[QUEUE_HEADERS.deadError]),
      }));
    },
    async readyAfterClose(kind) {
      const t = make();
      try {
        return (await t.depth(kind)).ready;
      } finally {
        await t.close();
      }
    },
  };
}

function memoryHarness(): Harness {
  return {
    make: (s: Settings = {}) => createMemoryTransport({ log, ...defaults, ...s }),
    publishRaw: (t, kind, body, messageId) => (t as MemoryTransport).publishRaw(kind, body, { messageId }),
    async takeDeadLetters(t, kind) {
      const dead = (t as MemoryTransport)
        .deadLetters(kind)
        .map((d) => ({ messageId: d.messageId, reason: d.reason, error: d.error }));
      await t.purgeDeadLetters(kind);
      return dead;
    },
  };
}

const kind = 'resize.image' as const;
const job = (): ResizeImageJob => ({ v: 1, batchId: randomUUID(), imageId: randomUUID() });

afterAll(() => deleteQueuesUnder(names.base));

describe.each([
  ['amqp', amqpHarness],
  ['in-process', memoryHarness],
] as const)('%s transport', (_name, harness) => {
  let h: Harness;
  const open: Transport[] = [];
  const make = (s?: Settings) => {
    const t = h.make(s);
    open.push(t);
    return t;
  };
  const settled = (t: Transport) =>
    waitFor(async () => {
      const d = await t.depth(kind);
      return d.ready === 0 && d.unacked === 0 && d.retrying === 0 ? d : undefined;
    }, 'queue to settle');

  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('delivers a published message with its id, acks it, and leaves the queue empty', async () => {
    const t = make();
    const got: { payload: ResizeImageJob; ctx: JobContext }[] = [];
    await t.consume(kind, async (payload, ctx) => {
      got.push({ payload, ctx });
    });
    const sent = job();
    await t.publish(kind, sent, { messageId: 'first-message' });

    await waitFor(() => got.length === 1, 'delivery');
    expect(got[0]).toEqual({ payload: sent, ctx: { messageId: 'first-message', attempt: 1, redelivered: false } });
    const d = await settled(t);
    expect(d).toEqual({ ready: 0, unacked: 0, consumers: 1, deadLettered: 0, retrying: 0 });
  });

  it('retries a failing handler after each delay, then dead-letters it after maxAttempts', async () => {
    const t = make({ maxAttempts: 3, retryDelaysMs: [150, 300] });
    const attempts: { attempt: number; messageId: string; at: number }[] = [];
    await t.consume(kind, async (_p, ctx) => {
      attempts.push({ attempt: ctx.attempt, messageId: ctx.messageId, at: Date.now() });
      throw new Error(`boom ${ctx.attempt}`);
    });
    await t.publish(kind, job(), { messageId: 'always-fails' });

    await waitFor(async () => (await t.depth(kind)).deadLettered === 1, 'dead letter');
    await settled(t);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((a) => a.messageId))).toEqual(new Set(['always-fails']));
    const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number];
    expect(a2 - a1).toBeGreaterThanOrEqual(150 - 2);
    expect(a3 - a2).toBeGreaterThanOrEqual(300 - 2);
    expect(await h.takeDeadLetters(t, kind)).toEqual([
      { messageId: 'always-fails', reason: 'max-attempts', error: 'Error: boom 3' },
    ]);
  });

  it('acks a message whose retry succeeds, without dead-lettering it', async () => {
    const t = make({ maxAttempts: 3, retryDelaysMs: [20] });
    const seen: number[] = [];
    await t.consume(kind, async (_p, ctx) => {
      seen.push(ctx.attempt);
      if (ctx.attempt < 2) throw new Error('transient');
    });
    await t.publish(kind, job());
    await waitFor(() => seen.length === 2, 'second attempt');
    const d = await settled(t);
    expect(seen).toEqual([1, 2]);
    expect(d.deadLettered).toBe(0);
  });

  it('dead-letters a PermanentError at once, and purgeDeadLetters drops it', async () => {
    const t = make({ maxAttempts: 5 });
    let calls = 0;
    await t.consume(kind, async () => {
      calls++;
      throw new PermanentError('image row is gone');
    });
    await t.publish(kind, job(), { messageId: 'permanent' });

    await waitFor(async () => (await t.depth(kind)).deadLettered === 1, 'dead letter');
    const d = await settled(t);
    expect(calls).toBe(1);
    expect(d.deadLettered).toBe(1);
    expect(await t.purgeDeadLetters(kind)).toBe(1);
    expect((await t.depth(kind)).deadLettered).toBe(0);
  });

  it('shows dead letters without removing them, and requeues them as first attempts that then succeed', async () => {
    const t = make({ maxAttempts: 5 });
    let broken = true;
    const attempts: number[] = [];
    await t.consume(kind, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      if (broken) throw new PermanentError('the cause, since fixed');
    });
    const jobs = [job(), job()];
    await t.publish(kind, jobs[0]!, { messageId: 'dead-1' });
    await t.publish(kind, jobs[1]!, { messageId: 'dead-2' });
    await waitFor(async () => (await t.depth(kind)).deadLettered === 2, 'dead letters');
    await settled(t);

    const one = await t.peekDeadLetters(kind, 1);
    expect([one.total, one.items.length]).toEqual([2, 1]);
    // RabbitMQ may put the letters it showed back at the end of the queue: their order is not promised.
    const both = await t.peekDeadLetters(kind, 10);
    expect(both.items.sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual(
      ['dead-1', 'dead-2'].map((messageId, i) => ({
        messageId,
        attempt: 1,
        reason: 'permanent-error',
        error: expect.stringContaining('the cause, since fixed'),
        deadAt: expect.any(Date),
        payload: jobs[i],
      })),
    );
    expect((await t.depth(kind)).deadLettered).toBe(2); // looking took nothing away

    broken = false;
    attempts.length = 0;
    expect(await t.requeueDeadLetters(kind)).toBe(2);
    await waitFor(() => attempts.length === 2, 'requeued jobs to run');
    const d = await settled(t);
    expect(attempts).toEqual([1, 1]);
    expect(d.deadLettered).toBe(0);
    expect(await t.peekDeadLetters(kind, 10)).toEqual({ total: 0, items: [] });
  });

  it('dead-letters invalid JSON and schema-invalid messages at once, with the reason, never calling the handler', async () => {
    const t = make({ maxAttempts: 5 });
    let calls = 0;
    await t.consume(kind, async () => {
      calls++;
    });
    await h.publishRaw(t, kind, '{not json', 'bad-json');
    await h.publishRaw(t, kind, JSON.stringify({ v: 1, batchId: 'not-a-uuid', imageId: randomUUID() }), 'bad-schema');

    await waitFor(async () => (await t.depth(kind)).deadLettered === 2, 'two dead letters');
    await settled(t);
    expect(calls).toBe(0);
    const dead = (await h.takeDeadLetters(t, kind)).sort((a, b) =>
      String(a.messageId).localeCompare(String(b.messageId)),
    );
    expect(dead.map((d) => [d.messageId, d.reason])).toEqual([
      ['bad-json', 'invalid-json'],
      ['bad-schema', 'invalid-payload'],
    ]);
    expect(dead[1]?.error).toMatch(/^batchId: /);
  });

  it('gives an idempotent handler the same message id on a second delivery, so it changes nothing', async () => {
    const t = make();
    const done = new Set<string>();
    const effects = new Map<string, number>();
    let calls = 0;
    await t.consume(kind, async (payload, ctx) => {
      calls++;
      if (done.has(ctx.messageId)) return;
      done.add(ctx.messageId);
      effects.set(payload.imageId, (effects.get(payload.imageId) ?? 0) + 1);
    });
    const sent = job();
    await t.publish(kind, sent, { messageId: 'outbox-42' });
    await t.publish(kind, sent, { messageId: 'outbox-42' });

    await waitFor(() => calls === 2, 'both deliveries');
    await settled(t);
    expect(effects).toEqual(new Map([[sent.imageId, 1]]));
  });

  it('does not deliver a delayed message before its delay', async () => {
    const t = make();
    let at = 0;
    await t.consume(kind, async () => {
      at = Date.now();
    });
    const sentAt = Date.now();
    await t.publish(kind, job(), { delayMs: 400 });
    await waitFor(() => at > 0, 'delayed delivery');
    expect(at - sentAt).toBeGreaterThanOrEqual(400 - 2);
  });

  it('keeps each delay apart, so a long delay never holds back a short one', async () => {
    const t = make();
    const got: string[] = [];
    await t.consume(kind, async (_p, ctx) => {
      got.push(ctx.messageId);
    });
    await t.publish(kind, job(), { messageId: 'in-a-minute', delayMs: 60_000 });
    await t.publish(kind, job(), { messageId: 'soon', delayMs: 100 });

    await waitFor(() => got.includes('soon'), 'short delay');
    expect(got).toEqual(['soon']);
    expect(await t.depth(kind)).toMatchObject({ ready: 0, retrying: 1 });
  });

  it('runs at most `prefetch` handlers of one consumer at a time', async () => {
    const t = make();
    const gate = deferred();
    let started = 0;
    await t.consume(
      kind,
      async () => {
        started++;
        await gate.promise;
      },
      { prefetch: 2 },
    );
    for (let i = 0; i < 5; i++) await t.publish(kind, job());
    await waitFor(() => started === 2, 'two handlers');
    await sleep(200); // room for a third delivery, were the bound broken
    expect(started).toBe(2);
    expect(await t.depth(kind)).toMatchObject({ unacked: 2, ready: 3 });
    gate.resolve();
    await waitFor(() => started === 5, 'all handled');
    await settled(t);
  });

  it('close() stops consuming and waits for in-flight handlers, which are acked', async () => {
    const t = make();
    const started = deferred();
    const gate = deferred();
    const events: string[] = [];
    await t.consume(kind, async () => {
      started.resolve();
      await gate.promise;
      events.push('handler finished');
    });
    await t.publish(kind, job());
    await started.promise;

    const closed = t.close().then(() => events.push('closed'));
    await sleep(150);
    expect(events).toEqual([]);
    gate.resolve();
    await closed;
    expect(events).toEqual(['handler finished', 'closed']);
    await expect(t.publish(kind, job())).rejects.toThrow('closed');
    if (h.readyAfterClose) expect(await h.readyAfterClose(kind)).toBe(0);
  });

  it('consumer.cancel() stops deliveries to that consumer and waits for its in-flight handler', async () => {
    const t = make();
    const started = deferred();
    const gate = deferred();
    let finished = 0;
    let calls = 0;
    const consumer = await t.consume(kind, async () => {
      calls++;
      started.resolve();
      await gate.promise;
      finished++;
    });
    await t.publish(kind, job());
    await started.promise;
    let cancelled = false;
    const cancelling = consumer.cancel().then(() => (cancelled = true));
    await sleep(100);
    expect(cancelled).toBe(false);
    gate.resolve();
    await cancelling;
    expect(finished).toBe(1);

    await t.publish(kind, job());
    await waitFor(async () => (await t.depth(kind)).ready === 1, 'message left waiting');
    expect(calls).toBe(1);
    expect((await t.depth(kind)).consumers).toBe(0);
  });

  describe('while a dependency is down', () => {
    class Outage extends Error {}
    let up: boolean;
    let gate: ClosableDependencyGate;
    beforeEach(() => {
      up = false;
      gate = createDependencyGate({
        isOutage: (err) => err instanceof Outage,
        probe: async () => {
          if (!up) throw new Error('still down');
        },
        probeIntervalMs: 50,
      });
    });
    afterEach(() => gate.close());

    it('holds failing jobs past the whole retry budget, takes no others, and runs them as the same attempt after', async () => {
      const t = make({ maxAttempts: 2, retryDelaysMs: [10], prefetch: 2, dependencies: gate });
      const runs: number[] = [];
      const done: string[] = [];
      await t.consume(kind, async (p, ctx) => {
        runs.push(ctx.attempt);
        if (!up) throw new Outage('database unreachable');
        done.push(p.imageId);
      });
      const jobs = [job(), job(), job()];
      for (const j of jobs) await t.publish(kind, j);
      await sleep(600); // 2 attempts 10 ms apart would have dead-lettered them long ago
      expect(done).toEqual([]);
      // Two held (the prefetch), the third never taken: no churn through the queue.
      expect(runs).toEqual([1, 1]);
      expect(await h.takeDeadLetters(t, kind)).toEqual([]);

      up = true;
      await waitFor(() => done.length === 3, 'held and waiting jobs done once the dependency is back');
      expect(done.sort()).toEqual(jobs.map((j) => j.imageId).sort());
      expect(runs.every((a) => a === 1)).toBe(true);
      await settled(t);
      expect(await h.takeDeadLetters(t, kind)).toEqual([]);
    });

    it('counts a job that keeps failing "as if" the dependency were down while it answers as an ordinary failure', async () => {
      up = true;
      const t = make({ maxAttempts: 2, retryDelaysMs: [10], dependencies: gate });
      const runs: number[] = [];
      await t.consume(kind, async (_p, ctx) => {
        runs.push(ctx.attempt);
        throw new Outage('misread as an outage');
      });
      await t.publish(kind, job(), { messageId: 'never-ok' });
      let dead: Dead[] = [];
      await waitFor(async () => (dead = await h.takeDeadLetters(t, kind)).length === 1, 'dead letter', 10_000);
      expect(dead[0]).toMatchObject({ messageId: 'never-ok', reason: 'max-attempts' });
      // Each attempt: the first run and 10 held re-runs, then the attempt is spent.
      expect(runs).toEqual([...Array(11).fill(1), ...Array(11).fill(2)]);
    });

    it('lets go of held jobs when the gate closes (worker stopping): back to the queue as the same attempt', async () => {
      const t = make({ prefetch: 1, dependencies: gate });
      const attempts: number[] = [];
      const consumer = await t.consume(kind, async (_p, ctx) => {
        attempts.push(ctx.attempt);
        throw new Outage('database unreachable');
      });
      await t.publish(kind, job());
      await waitFor(() => attempts.length === 1, 'job held');
      gate.close();
      await consumer.cancel();
      // Let go, not re-run: the held job was not tried again while the worker stopped.
      expect(attempts).toEqual([1]);
      await waitFor(async () => (await t.depth(kind)).ready === 1, 'job back in the queue');

      const again: number[] = [];
      await t.consume(kind, async (_p, ctx) => {
        again.push(ctx.attempt);
      });
      await waitFor(() => again.length === 1, 'redelivery');
      expect(again).toEqual([1]);
    });
  });
});
