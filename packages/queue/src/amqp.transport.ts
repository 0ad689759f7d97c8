// RabbitMQ transport: quorum queues per job kind, confirmed publishes, manual acks, retries through TTL delay queues.
import { createHash, randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Options } from 'amqplib';
import type { JobKind, JobPayload } from '@pixmill/contracts';
import type { Logger } from '@pixmill/observability';
import { AmqpSession } from './amqp-session';
import type { DependencyGate } from './dependency-gate';
import {
  assertKind,
  attemptFrom,
  parseBody,
  runDelivery,
  validatePolicy,
  type DeliveryOutcome,
  type RetryPolicy,
} from './delivery';
import { TransportUnavailableError } from './errors';
import {
  HEADER,
  deadLetterQueue,
  deadLetterQueueOptions,
  delayQueue,
  delayQueueOptions,
  mainQueue,
  mainQueueOptions,
  normaliseDelay,
} from './topology';
import type {
  Consumer,
  ConsumeOptions,
  DeadLetterView,
  Handler,
  PublishOptions,
  QueueDepth,
  Transport,
} from './transport';

export type AmqpTransportOptions = {
  /** The broker's URL, or the URLs of a cluster's nodes (see SessionOptions.urls). */
  url: string | readonly string[];
  /** Every queue name starts with `${prefix}.`; lets environments (and tests) share one broker. */
  prefix: string;
  /** Default number of unacked messages (= concurrent handlers) per consumer. */
  prefetch: number;
  maxAttempts: number;
  /** Delay before retry n is retryDelaysMs[n-1]; the last one repeats. */
  retryDelaysMs: number[];
  /** See RetryPolicy.dependencies. */
  dependencies?: DependencyGate | undefined;
  log: Logger;
  /** How long publish, consume, depth and check wait for a reconnect in progress before rejecting. Default 2000. */
  connectWaitMs?: number;
  /** Longest wait for the broker's confirm of one publish. Default 10000. */
  publishTimeoutMs?: number;
};

export function createAmqpTransport(o: AmqpTransportOptions): Transport {
  return new AmqpTransport(o);
}

// Headers the broker adds on dead-lettering; a re-published message starts without them.
const BROKER_HEADER = /^x-(death|first-death-|last-death-|delivery-count)/;
const REATTACH_MS = 1_000;
const noop = () => undefined;

class AmqpTransport implements Transport {
  readonly session: AmqpSession;
  readonly log: Logger;
  readonly policy: RetryPolicy;
  private readonly connectWaitMs: number;
  private readonly publishTimeoutMs: number;
  private readonly declared = new WeakMap<ChannelModel, Map<string, Promise<void>>>();
  private confirm: { conn: ChannelModel; ch: Promise<ConfirmChannel> } | undefined;
  private readonly consumers = new Set<AmqpConsumer<JobKind>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly inFlight = new Map<JobKind, number>();
  private readonly extraDelays = new Map<JobKind, Set<number>>();
  private stopping = false;
  private publishesClosed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: AmqpTransportOptions) {
    validatePolicy(o);
    if (!o.prefix) throw new Error('prefix must not be empty');
    if (!Number.isInteger(o.prefetch) || o.prefetch < 1)
      throw new Error(`prefetch must be an integer >= 1, got ${o.prefetch}`);
    this.log = o.log.child({ component: 'amqp-transport', prefix: o.prefix });
    this.policy = { maxAttempts: o.maxAttempts, retryDelaysMs: [...o.retryDelaysMs], dependencies: o.dependencies };
    this.connectWaitMs = o.connectWaitMs ?? 2_000;
    this.publishTimeoutMs = o.publishTimeoutMs ?? 10_000;
    this.session = new AmqpSession({
      urls: typeof o.url === 'string' ? [o.url] : o.url,
      connectionName: `pixmill ${o.prefix} pid ${process.pid}`,
      log: this.log,
      onConnected: (conn) => this.reattachAll(conn),
    });
    this.session.start();
  }

  async publish<K extends JobKind>(kind: K, payload: JobPayload<K>, opts?: PublishOptions): Promise<void> {
    if (this.publishesClosed) throw new TransportUnavailableError('transport is closed');
    assertKind(kind);
    const delayMs = normaliseDelay(opts?.delayMs);
    const props: Options.Publish = {
      persistent: true,
      messageId: opts?.messageId ?? randomUUID(),
      contentType: 'application/json',
      type: kind,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { [HEADER.attempt]: 1 },
    };
    if (delayMs > 0) this.rememberDelay(kind, delayMs);
    await this.track(this.route(kind, Buffer.from(JSON.stringify(payload)), props, delayMs));
  }

  async consume<K extends JobKind>(kind: K, handler: Handler<K>, opts?: ConsumeOptions): Promise<Consumer> {
    if (this.stopping) throw new TransportUnavailableError('transport is closed');
    assertKind(kind);
    const prefetch = opts?.prefetch ?? this.o.prefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1)
      throw new Error(`prefetch must be an integer >= 1, got ${prefetch}`);
    const consumer = new AmqpConsumer(this, kind, handler, prefetch);
    const conn = await this.session.connection(this.connectWaitMs);
    // Registered first so a reconnect during attach also re-attaches it; removed again if the first attach fails.
    this.consumers.add(consumer as unknown as AmqpConsumer<JobKind>);
    try {
      await consumer.attach(conn);
    } catch (err) {
      this.consumers.delete(consumer as unknown as AmqpConsumer<JobKind>);
      await consumer.cancel();
      throw err;
    }
    return consumer;
  }

  async depth(kind: JobKind): Promise<QueueDepth> {
    assertKind(kind);
    const p = this.o.prefix;
    const conn = await this.session.connection(this.connectWaitMs);
    // assertQueue answers the same counts as checkQueue and cannot fail on a queue nobody declared yet.
    return this.withChannel(conn, async (ch) => {
      const main = await ch.assertQueue(mainQueue(p, kind), mainQueueOptions(p, kind));
      const dlq = await ch.assertQueue(deadLetterQueue(p, kind), deadLetterQueueOptions());
      let retrying = 0;
      for (const ms of this.knownDelays(kind)) {
        retrying += (await ch.assertQueue(delayQueue(p, kind, ms), delayQueueOptions(p, kind, ms))).messageCount;
      }
      return {
        ready: main.messageCount,
        unacked: this.inFlight.get(kind) ?? 0,
        consumers: main.consumerCount,
        deadLettered: dlq.messageCount,
        retrying,
      };
    });
  }

  async purgeDeadLetters(kind: JobKind): Promise<number> {
    assertKind(kind);
    const conn = await this.session.connection(this.connectWaitMs);
    return this.withChannel(conn, async (ch) => {
      const name = deadLetterQueue(this.o.prefix, kind);
      await ch.assertQueue(name, deadLetterQueueOptions());
      return (await ch.purgeQueue(name)).messageCount;
    });
  }

  async peekDeadLetters(kind: JobKind, limit: number): Promise<{ total: number; items: DeadLetterView[] }> {
    assertKind(kind);
    const conn = await this.session.connection(this.connectWaitMs);
    // Taken without acking, then handed back (nack with requeue) before answering: the queue keeps every message.
    return this.withChannel(conn, async (ch) => {
      const name = deadLetterQueue(this.o.prefix, kind);
      const { messageCount } = await ch.assertQueue(name, deadLetterQueueOptions());
      const items: DeadLetterView[] = [];
      while (items.length < limit) {
        const msg = await ch.get(name, { noAck: false });
        if (!msg) break;
        items.push(deadLetterView(msg));
      }
      ch.nackAll(true);
      // A channel's commands are done in order: once this answers, the messages are back in the queue.
      await ch.checkQueue(name);
      return { total: Math.max(messageCount, items.length), items };
    });
  }

  async requeueDeadLetters(kind: JobKind): Promise<number> {
    assertKind(kind);
    const conn = await this.session.connection(this.connectWaitMs);
    await this.ensureKind(conn, kind);
    return this.withChannel(conn, async (ch) => {
      const name = deadLetterQueue(this.o.prefix, kind);
      // Only what is there now: a message that fails again while we work comes back to the DLQ and stays there.
      const { messageCount } = await ch.assertQueue(name, deadLetterQueueOptions());
      let moved = 0;
      while (moved < messageCount) {
        const msg = await ch.get(name, { noAck: false });
        if (!msg) break;
        const headers = { ...msg.properties.headers };
        delete headers[HEADER.deadReason];
        delete headers[HEADER.deadError];
        delete headers[HEADER.deadAt];
        const props = carry({ ...msg, properties: { ...msg.properties, headers } }, { [HEADER.attempt]: 1 });
        // Confirmed on the main queue before it leaves the DLQ: a crash in between duplicates, never loses.
        await this.send(conn, mainQueue(this.o.prefix, kind), msg.content, props);
        ch.ack(msg);
        moved++;
      }
      return moved;
    });
  }

  async check(): Promise<void> {
    const conn = await this.session.connection(this.connectWaitMs);
    try {
      await this.withChannel(conn, async () => undefined);
    } catch (err) {
      throw new TransportUnavailableError(`broker check failed: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      await Promise.allSettled([...this.consumers].map((c) => c.cancel()));
      // Handlers may publish until they finish; only then is publishing closed.
      this.publishesClosed = true;
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      const confirm = this.confirm;
      this.confirm = undefined;
      const ch = await confirm?.ch.catch(noop);
      await ch?.close().catch(noop);
      await this.session.close();
      this.log.info('amqp transport closed');
    })();
    return this.closing;
  }

  // ---- used by consumers ----

  get prefix(): string {
    return this.o.prefix;
  }

  get stoppingNow(): boolean {
    return this.stopping;
  }

  forget(c: AmqpConsumer<JobKind>): void {
    this.consumers.delete(c);
  }

  countInFlight(kind: JobKind, delta: 1 | -1): void {
    this.inFlight.set(kind, (this.inFlight.get(kind) ?? 0) + delta);
  }

  /** Declares the main queue, its dead-letter queue and the retry delay queues, once per connection. */
  ensureKind(conn: ChannelModel, kind: JobKind): Promise<void> {
    const p = this.o.prefix;
    return this.declareOnce(conn, `kind:${kind}`, async (ch) => {
      await ch.assertQueue(deadLetterQueue(p, kind), deadLetterQueueOptions());
      await ch.assertQueue(mainQueue(p, kind), mainQueueOptions(p, kind));
      for (const ms of this.retryDelays())
        await ch.assertQueue(delayQueue(p, kind, ms), delayQueueOptions(p, kind, ms));
    });
  }

  /** Re-publishes a failed message to wait out its retry delay, with the next attempt number. */
  async retry(
    kind: JobKind,
    msg: ConsumeMessage,
    outcome: Extract<DeliveryOutcome, { action: 'retry' }>,
  ): Promise<void> {
    if (outcome.delayMs > 0) this.rememberDelay(kind, outcome.delayMs);
    const props = carry(msg, { [HEADER.attempt]: outcome.nextAttempt });
    await this.track(this.route(kind, msg.content, props, outcome.delayMs));
  }

  async deadLetter(
    kind: JobKind,
    msg: ConsumeMessage,
    outcome: Extract<DeliveryOutcome, { action: 'dead-letter' }>,
  ): Promise<void> {
    const props = carry(msg, {
      [HEADER.deadReason]: outcome.reason,
      [HEADER.deadError]: outcome.error,
      [HEADER.deadAt]: new Date().toISOString(),
    });
    const send = async () => {
      const conn = await this.session.connection(this.connectWaitMs);
      await this.ensureKind(conn, kind);
      await this.send(conn, deadLetterQueue(this.o.prefix, kind), msg.content, props);
    };
    await this.track(send());
  }

  // ---- internals ----

  private async route(kind: JobKind, body: Buffer, props: Options.Publish, delayMs: number): Promise<void> {
    const conn = await this.session.connection(this.connectWaitMs);
    await this.ensureKind(conn, kind);
    let queue = mainQueue(this.o.prefix, kind);
    if (delayMs > 0) {
      queue = delayQueue(this.o.prefix, kind, delayMs);
      await this.declareOnce(conn, queue, async (ch) => {
        await ch.assertQueue(queue, delayQueueOptions(this.o.prefix, kind, delayMs));
      });
    }
    await this.send(conn, queue, body, props);
  }

  private async send(conn: ChannelModel, queue: string, body: Buffer, props: Options.Publish): Promise<void> {
    const ch = await this.confirmChannel(conn);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new TransportUnavailableError(`no broker confirm within ${this.publishTimeoutMs} ms`)),
          this.publishTimeoutMs,
        );
        try {
          ch.sendToQueue(queue, body, props, (err: unknown) => (err ? reject(asError(err)) : resolve()));
        } catch (err) {
          reject(asError(err));
        }
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private confirmChannel(conn: ChannelModel): Promise<ConfirmChannel> {
    if (this.confirm?.conn === conn) return this.confirm.ch;
    const ch: Promise<ConfirmChannel> = conn.createConfirmChannel().then((c) => {
      c.on('error', (err: Error) => this.log.warn({ err: err.message }, 'publish channel error'));
      c.on('close', () => {
        if (this.confirm?.ch === ch) this.confirm = undefined;
      });
      return c;
    });
    ch.catch(() => {
      if (this.confirm?.ch === ch) this.confirm = undefined;
    });
    this.confirm = { conn, ch };
    return ch;
  }

  private declareOnce(conn: ChannelModel, key: string, fn: (ch: Channel) => Promise<void>): Promise<void> {
    let done = this.declared.get(conn);
    if (!done) this.declared.set(conn, (done = new Map()));
    let p = done.get(key);
    if (!p) {
      const memo = done;
      p = this.withChannel(conn, fn);
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  }

  /** A short-lived channel, so a failed declaration (406 closes the channel) never takes a working channel down. */
  private async withChannel<T>(conn: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => this.log.debug({ err: err.message }, 'admin channel error'));
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(noop);
    }
  }

  private async reattachAll(conn: ChannelModel): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.attachOrRetry(conn)));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private retryDelays(): number[] {
    return [...new Set(this.policy.retryDelaysMs.map((ms) => normaliseDelay(ms)).filter((ms) => ms > 0))];
  }

  private rememberDelay(kind: JobKind, ms: number): void {
    let set = this.extraDelays.get(kind);
    if (!set) this.extraDelays.set(kind, (set = new Set()));
    set.add(ms);
  }

  private knownDelays(kind: JobKind): number[] {
    return [...new Set([...this.retryDelays(), ...(this.extraDelays.get(kind) ?? [])])];
  }
}

class AmqpConsumer<K extends JobKind> implements Consumer {
  private ch: Channel | undefined;
  private tag: string | undefined;
  private attaching: Promise<void> | undefined;
  private cancelled = false;
  private cancelDone: Promise<void> | undefined;
  private reattachTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly t: AmqpTransport,
    private readonly kind: K,
    private readonly handler: Handler<K>,
    private readonly prefetch: number,
  ) {
    this.log = t.log.child({ kind });
  }

  attach(conn: ChannelModel): Promise<void> {
    if (this.cancelled || this.ch) return Promise.resolve();
    this.attaching ??= this.open(conn).finally(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }

  /** Used after a reconnect or a lost channel: failures are retried while the connection lives. */
  async attachOrRetry(conn: ChannelModel): Promise<void> {
    try {
      await this.attach(conn);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not resume consuming; will retry');
      this.scheduleReattach();
    }
  }

  cancel(): Promise<void> {
    this.cancelDone ??= (async () => {
      this.cancelled = true;
      clearTimeout(this.reattachTimer);
      await this.attaching?.catch(noop);
      const { ch, tag } = this;
      // After cancel-ok no new deliveries arrive; every earlier one is already in flight (handlers start on delivery).
      if (ch && tag) await ch.cancel(tag).catch(noop);
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      this.ch = undefined;
      await ch?.close().catch(noop);
      this.t.forget(this as unknown as AmqpConsumer<JobKind>);
    })();
    return this.cancelDone;
  }

  private async open(conn: ChannelModel): Promise<void> {
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'consumer channel error'));
    ch.on('close', () => this.onChannelClosed(ch, conn));
    this.ch = ch;
    try {
      await ch.prefetch(this.prefetch);
      await this.t.ensureKind(conn, this.kind);
      const queue = mainQueue(this.t.prefix, this.kind);
      this.tag = (await ch.consume(queue, (msg) => this.onMessage(ch, msg), { noAck: false })).consumerTag;
      this.log.info({ queue, prefetch: this.prefetch }, 'consuming');
    } catch (err) {
      if (this.ch === ch) this.ch = undefined;
      await ch.close().catch(noop);
      throw err;
    }
  }

  private onChannelClosed(ch: Channel, conn: ChannelModel): void {
    if (this.ch !== ch) return;
    this.ch = undefined;
    this.tag = undefined;
    // A lost connection is handled by the session's reconnect; a channel closed on a live connection is reopened here.
    if (!this.cancelled) this.scheduleReattach(conn);
  }

  private scheduleReattach(onlyIf?: ChannelModel): void {
    if (this.cancelled || this.reattachTimer) return;
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = undefined;
      const conn = this.t.session.current;
      if (!conn || this.cancelled || this.t.stoppingNow || (onlyIf && conn !== onlyIf)) return;
      void this.attachOrRetry(conn);
    }, REATTACH_MS);
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled this consumer (queue deleted, node failure): let in-flight work ack, then start again.
      this.log.warn('consumer cancelled by the broker; resubscribing');
      if (this.ch === ch) {
        this.ch = undefined;
        this.tag = undefined;
        void Promise.allSettled([...this.inFlight]).then(() => ch.close().catch(noop));
      }
      this.scheduleReattach();
      return;
    }
    this.t.countInFlight(this.kind, 1);
    const p: Promise<void> = this.process(ch, msg)
      .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'message handling failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(p);
        this.t.countInFlight(this.kind, -1);
      });
    this.inFlight.add(p);
  }

  private async process(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const ctx = {
      messageId: messageIdOf(msg),
      attempt: attemptFrom(msg.properties.headers?.[HEADER.attempt]),
      redelivered: msg.fields.redelivered,
    };
    const outcome = await runDelivery({
      kind: this.kind,
      body: msg.content,
      ctx,
      handler: this.handler,
      policy: this.t.policy,
      log: this.log,
    });
    try {
      if (outcome.action === 'retry') await this.t.retry(this.kind, msg, outcome);
      if (outcome.action === 'dead-letter') await this.t.deadLetter(this.kind, msg, outcome);
    } catch (err) {
      // Nothing is acked that was not re-routed: back to the queue (the delivery limit stops an endless loop).
      this.log.error(
        { err: (err as Error).message, messageId: ctx.messageId },
        'could not re-route a failed message; requeued',
      );
      settle(this.log, () => ch.nack(msg, false, true));
      return;
    }
    settle(this.log, () => ch.ack(msg));
  }
}

function settle(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    // The channel died with the connection: the broker requeues the message and redelivers it (redelivered = true).
    log.warn({ err: (err as Error).message }, 'ack/nack not sent; the broker will redeliver');
  }
}

function carry(msg: ConsumeMessage | GetMessage, extra: Record<string, unknown>): Options.Publish {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg.properties.headers ?? {})) if (!BROKER_HEADER.test(k)) headers[k] = v;
  return {
    persistent: true,
    messageId: messageIdOf(msg),
    contentType: msg.properties.contentType ?? 'application/json',
    type: msg.properties.type,
    timestamp: msg.properties.timestamp,
    headers: { ...headers, ...extra },
  };
}

/** A message published without an id (by hand, by old code) gets one derived from its body, stable across retries. */
function deadLetterView(msg: GetMessage): DeadLetterView {
  const h = msg.properties.headers ?? {};
  const text = (v: unknown) => (v === undefined || v === null ? null : String(v));
  const at = text(h[HEADER.deadAt]);
  return {
    messageId: messageIdOf(msg),
    attempt: Number(h[HEADER.attempt] ?? 1),
    reason: text(h[HEADER.deadReason]),
    error: text(h[HEADER.deadError]),
    deadAt: at ? new Date(at) : null,
    payload: parseBody(msg.content.toString('utf8')),
  };
}

function messageIdOf(msg: ConsumeMessage | GetMessage): string {
  const id = msg.properties.messageId;
  return typeof id === 'string' && id ? id : `sha256:${createHash('sha256').update(msg.content).digest('hex')}`;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
