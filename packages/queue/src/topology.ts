// Queue names and arguments. Declarations must be identical every time: RabbitMQ closes the channel (406) when a
// queue is redeclared with other arguments, so nothing here may depend on per-process configuration.
import type { Options } from 'amqplib';

/**
 * Backstop for crash loops: a message whose consumer dies before acking is requeued by the broker; after this many
 * deliveries the quorum queue dead-letters it. Ordinary handler failures never count here (they are retried by
 * re-publishing, which starts a fresh delivery count).
 */
export const DELIVERY_LIMIT = 10;

export const HEADER = {
  attempt: 'x-pixmill-attempt',
  deadReason: 'x-pixmill-dead-reason',
  deadError: 'x-pixmill-dead-error',
  deadAt: 'x-pixmill-dead-at',
} as const;

export type DeadReason = 'invalid-json' | 'invalid-payload' | 'permanent-error' | 'max-attempts';

export const mainQueue = (prefix: string, kind: string) => `${prefix}.${kind}`;
export const deadLetterQueue = (prefix: string, kind: string) => `${prefix}.${kind}.dlq`;
export const delayQueue = (prefix: string, kind: string, ms: number) => `${prefix}.${kind}.delay.${ms}`;

export function mainQueueOptions(prefix: string, kind: string): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueue(prefix, kind),
    },
  };
}

export function deadLetterQueueOptions(): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
}

/** One queue per distinct delay: messages expire at the head only, so mixing delays in one queue would block short ones. */
export function delayQueueOptions(prefix: string, kind: string, ms: number): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-message-ttl': ms,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': mainQueue(prefix, kind),
    },
  };
}

/** Delay before attempt `failedAttempt + 1`; the last configured delay repeats. */
export function retryDelayMs(retryDelaysMs: readonly number[], failedAttempt: number): number {
  if (retryDelaysMs.length === 0) return 0;
  const i = Math.min(Math.max(failedAttempt, 1), retryDelaysMs.length) - 1;
  return normaliseDelay(retryDelaysMs[i] ?? 0);
}

/** Whole, non-negative milliseconds, so equal delays share one queue name. */
export function normaliseDelay(ms: number | undefined): number {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return 0;
  return Math.round(ms);
}
