// The job transport contract shared by the RabbitMQ and in-process implementations.
import type { JobKind, JobPayload } from '@pixmill/contracts';

export type JobContext = {
  /** Stable across retries and re-publishes: the outbox passes its own id. Handlers may key idempotency on it. */
  messageId: string;
  /** 1 on the first delivery, incremented on every retry the transport schedules. */
  attempt: number;
  /** The broker delivered this message before (e.g. a consumer died before acking). */
  redelivered: boolean;
};

export type Handler<K extends JobKind> = (payload: JobPayload<K>, ctx: JobContext) => Promise<void>;

export interface Consumer {
  /** Stop taking messages, wait for in-flight handlers to finish (and be acked). */
  cancel(): Promise<void>;
}

export interface QueueDepth {
  /** Messages waiting in the main queue. */
  ready: number;
  /** Messages being handled by consumers of this process (the broker does not report unacked counts over AMQP). */
  unacked: number;
  consumers: number;
  deadLettered: number;
  /** Messages waiting out a retry or publish delay. */
  retrying: number;
}

/** A dead-lettered message as an operator inspects it. */
export type DeadLetterView = {
  messageId: string;
  /** The attempt that failed last. */
  attempt: number;
  /** Why it was dead-lettered (`permanent`, `attempts_exhausted`, `unparseable`...), and the last error. */
  reason: string | null;
  error: string | null;
  deadAt: Date | null;
  /** The message body: parsed JSON, or the text when it is not JSON. */
  payload: unknown;
};

export type PublishOptions = { messageId?: string; delayMs?: number };
export type ConsumeOptions = { prefetch?: number };

export interface Transport {
  /** Resolves once the broker has confirmed the message (persisted). */
  publish<K extends JobKind>(kind: K, payload: JobPayload<K>, opts?: PublishOptions): Promise<void>;
  consume<K extends JobKind>(kind: K, handler: Handler<K>, opts?: ConsumeOptions): Promise<Consumer>;
  depth(kind: JobKind): Promise<QueueDepth>;
  /** Drops the dead letters of one kind; answers how many were dropped. */
  purgeDeadLetters(kind: JobKind): Promise<number>;
  /**
   * Up to `limit` dead letters of one kind, left in their queue (RabbitMQ may move the ones shown to its end), and how
   * many there are.
   */
  peekDeadLetters(kind: JobKind, limit: number): Promise<{ total: number; items: DeadLetterView[] }>;
  /** Puts the dead letters of one kind back on its queue as first attempts; answers how many were moved. */
  requeueDeadLetters(kind: JobKind): Promise<number>;
  /** Health: throws when the broker is unreachable. */
  check(): Promise<void>;
  /** Graceful: cancel consumers, finish in-flight handlers, close. */
  close(): Promise<void>;
}
