// @pixmill/queue: job transport (RabbitMQ or in-process), the transactional outbox and its relay.
export {
  createDependencyGate,
  type ClosableDependencyGate,
  type DependencyGate,
  type DependencyGateOptions,
} from './dependency-gate';
export { PermanentError, TransportUnavailableError } from './errors';
export type { Consumer, ConsumeOptions, Handler, JobContext, PublishOptions, QueueDepth, Transport } from './transport';
export { createAmqpTransport, type AmqpTransportOptions } from './amqp.transport';
export {
  createMemoryTransport,
  type DeadLetter,
  type MemoryTransport,
  type MemoryTransportOptions,
} from './memory.transport';
export {
  OUTBOX_CHANNEL,
  enqueue,
  enqueueMany,
  outboxRowsSql,
  type OutboxClient,
  type OutboxRowsSql,
  type PayloadSql,
} from './outbox';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { DELIVERY_LIMIT, HEADER as QUEUE_HEADERS, deadLetterQueue, delayQueue, mainQueue } from './topology';
