// In-process transport for the embedded single-process mode: same ack / retry / dead-letter semantics, no broker.
// Messages live in memory only: what is queued or waiting out a delay when the process exits is gone (the all-in-one
// process queues the open work of unfinished batches again when it starts: services/standalone/src/recover-open-work.ts).
import { randomUUID } from 'node:crypto';
import type { JobKind, JobPayload } from '@pixmill/contracts';
import type { Logger } from '@pixmill/observability';
import { assertKind, parseBody, runDelivery, validatePolicy, type RetryPolicy } from './delivery';
import type { DependencyGate } from './dependency-gate';
import { TransportUnavailableError } from './errors';
import { normaliseDelay, type DeadReason } from './topology';
import type {
  Consumer,
  ConsumeOptions,
  DeadLetterView,
  Handler,
  PublishOptions,
  QueueDepth,
  Transport,
} from './transport';

export type MemoryTransportOptions = {
  maxAttempts: number;
  retryDelaysMs: number[];
  /** See RetryPolicy.dependencies. */
  dependencies?: DependencyGate | undefined;
  log: Logger;
  /** Concurrent handlers per consumer when `consume` is not given one. Default 1. */
  prefetch?: number;
};

/** A message as the broker would hold it: the body stays serialised, so handlers never share objects with publishers. */
type Envelope = { messageId: string; body: string; attempt: number };

export type DeadLetter = Envelope & { reason: DeadReason; error: string; deadAt: Date };

export interface MemoryTransport extends Transport {
  /** Enqueues a body as is (not necessarily valid JSON): how tests reproduce a message from foreign or older code. */
  publishRaw(kind: JobKind, body: string, opts?: { messageId?: string }): Promise<void>;
  /** The dead letters of one kind, oldest first (the broker's DLQ, readable here). */
  deadLetters(kind: JobKind): readonly DeadLetter[];
}

export function createMemoryTransport(o: MemoryTransportOptions): MemoryTransport {
  return new InProcessTransport(o);
}

type KindState = {
  ready: Envelope[];
  consumers: MemoryConsumer[];
  next: number;
  unacked: number;
  dead: DeadLetter[];
};

class InProcessTransport implements MemoryTransport {
  private readonly kinds = new Map<JobKind, KindState>();
  private readonly delayed = new Map<NodeJS.Timeout, JobKind>();
  private readonly policy: RetryPolicy;
  private readonly log: Logger;
  private readonly prefetch: number;
  private stopping = false;
  private closing: Promise<void> | undefined;

  constructor(o: MemoryTransportOptions) {
    validatePolicy(o);
    this.policy = { maxAttempts: o.maxAttempts, retryDelaysMs: [...o.retryDelaysMs], dependencies: o.dependencies };
    this.log = o.log.child({ component: 'memory-transport' });
    this.prefetch = o.prefetch ?? 1;
  }

  async publish<K extends JobKind>(kind: K, payload: JobPayload<K>, opts?: PublishOptions): Promise<void> {
    this.assertOpen();
    assertKind(kind);
    const env = { messageId: opts?.messageId ?? randomUUID(), body: JSON.stringify(payload), attempt: 1 };
    this.enqueue(kind, env, normaliseDelay(opts?.delayMs));
  }

  async publishRaw(kind: JobKind, body: string, opts?: { messageId?: string }): Promise<void> {
    this.assertOpen();
    assertKind(kind);
    this.enqueue(kind, { messageId: opts?.messageId ?? randomUUID(), body, attempt: 1 }, 0);
  }

  async consume<K extends JobKind>(kind: K, handler: Handler<K>, opts?: ConsumeOptions): Promise<Consumer> {
    if (this.stopping) throw new TransportUnavailableError('transport is closed');
    assertKind(kind);
    const prefetch = opts?.prefetch ?? this.prefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1)
      throw new Error(`prefetch must be an integer >= 1, got ${prefetch}`);
    const consumer = new MemoryConsumer(
      kind,
      handler as unknown as Handler<JobKind>,
      prefetch,
      (c) => this.detach(c),
      this.log,
    );
    this.state(kind).consumers.push(consumer);
    this.dispatch(kind);
    return consumer;
  }

  async depth(kind: JobKind): Promise<QueueDepth> {
    assertKind(kind);
    const s = this.state(kind);
    let retrying = 0;
    for (const k of this.delayed.values()) if (k === kind) retrying++;
    return {
      ready: s.ready.length,
      unacked: s.unacked,
      consumers: s.consumers.length,
      deadLettered: s.dead.length,
      retrying,
    };
  }

  async purgeDeadLetters(kind: JobKind): Promise<number> {
    assertKind(kind);
    return this.state(kind).dead.splice(0).length;
  }

  deadLetters(kind: JobKind): readonly DeadLetter[] {
    return [...this.state(kind).dead];
  }

  async peekDeadLetters(kind: JobKind, limit: number): Promise<{ total: number; items: DeadLetterView[] }> {
    assertKind(kind);
    const dead = this.state(kind).dead;
    return {
      total: dead.length,
      items: dead.slice(0, Math.max(0, limit)).map((d) => ({
        messageId: d.messageId,
        attempt: d.attempt,
        reason: d.reason,
        error: d.error,
        deadAt: d.deadAt,
        payload: parseBody(d.body),
      })),
    };
  }

  async requeueDeadLetters(kind: JobKind): Promise<number> {
    this.assertOpen();
    assertKind(kind);
    const dead = this.state(kind).dead.splice(0);
    for (const d of dead) this.enqueue(kind, { messageId: d.messageId, body: d.body, attempt: 1 }, 0);
    return dead.length;
  }

  async check(): Promise<void> {
    if (this.closing) throw new TransportUnavailableError('transport is closed');
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      const consumers = [...this.kinds.values()].flatMap((s) => s.consumers);
      await Promise.allSettled(consumers.map((c) => c.cancel()));
      for (const timer of this.delayed.keys()) clearTimeout(timer);
      const dropped = this.delayed.size + [...this.kinds.values()].reduce((n, s) => n + s.ready.length, 0);
      this.delayed.clear();
      if (dropped > 0) this.log.warn({ dropped }, 'in-process transport closed with undelivered messages');
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new TransportUnavailableError('transport is closed');
  }

  private state(kind: JobKind): KindState {
    let s = this.kinds.get(kind);
    if (!s) this.kinds.set(kind, (s = { ready: [], consumers: [], next: 0, unacked: 0, dead: [] }));
    return s;
  }

  private enqueue(kind: JobKind, env: Envelope, delayMs: number): void {
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.delayed.delete(timer);
        this.enqueue(kind, env, 0);
      }, delayMs);
      this.delayed.set(timer, kind);
      return;
    }
    this.state(kind).ready.push(env);
    this.dispatch(kind);
  }

  /** Hands ready messages to consumers with free prefetch slots, round-robin like the broker. */
  private dispatch(kind: JobKind): void {
    const s = this.state(kind);
    while (s.ready.length > 0) {
      const n = s.consumers.length;
      let chosen: MemoryConsumer | undefined;
      for (let i = 0; i < n && !chosen; i++) {
        const c = s.consumers[(s.next + i) % n];
        if (c?.hasRoom()) {
          chosen = c;
          s.next = (s.next + i + 1) % n;
        }
      }
      if (!chosen) return;
      const env = s.ready.shift() as Envelope;
      s.unacked++;
      chosen
        .run(() => this.deliver(kind, chosen, env))
        .catch((err: unknown) =>
          this.log.error({ err: (err as Error).message, kind }, 'message handling failed unexpectedly'),
        )
        .finally(() => {
          s.unacked--;
          this.dispatch(kind);
        });
    }
  }

  private async deliver(kind: JobKind, c: MemoryConsumer, env: Envelope): Promise<void> {
    const outcome = await runDelivery({
      kind,
      body: env.body,
      ctx: { messageId: env.messageId, attempt: env.attempt, redelivered: false },
      handler: c.handler,
      policy: this.policy,
      log: c.log,
    });
    if (outcome.action === 'retry') this.enqueue(kind, { ...env, attempt: outcome.nextAttempt }, outcome.delayMs);
    if (outcome.action === 'dead-letter') {
      this.state(kind).dead.push({ ...env, reason: outcome.reason, error: outcome.error, deadAt: new Date() });
    }
  }

  private detach(c: MemoryConsumer): void {
    const s = this.state(c.kind);
    s.consumers = s.consumers.filter((x) => x !== c);
  }
}

class MemoryConsumer implements Consumer {
  readonly log: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  private cancelled = false;
  private cancelDone: Promise<void> | undefined;

  constructor(
    readonly kind: JobKind,
    readonly handler: Handler<JobKind>,
    private readonly prefetch: number,
    private readonly onCancel: (c: MemoryConsumer) => void,
    log: Logger,
  ) {
    this.log = log.child({ kind });
  }

  hasRoom(): boolean {
    return !this.cancelled && this.inFlight.size < this.prefetch;
  }

  run(work: () => Promise<void>): Promise<void> {
    const p: Promise<void> = work().finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  cancel(): Promise<void> {
    this.cancelDone ??= (async () => {
      this.cancelled = true;
      this.onCancel(this);
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    return this.cancelDone;
  }
}
