// Integration harness: the real notifier worker over a fresh PostgreSQL database and RabbitMQ (own queue prefix),
// with the outbox relay running, and helpers to end a batch the way the resize service does (which writes the event).
import { randomBytes } from 'node:crypto';
import { finishImage } from '@pixmill/batch-state';
import { loadSettings, type Settings } from '@pixmill/config';
import { createTestDatabase, type TestDatabase } from '@pixmill/db/testing';
import type { WebhookDelivery } from '@pixmill/db';
import { createLogger, createRegistry } from '@pixmill/observability';
import { createAmqpTransport, startOutboxRelay, type OutboxRelay, type Transport } from '@pixmill/queue';
import type { Lookup } from '@pixmill/safe-fetch';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { startNotifierWorker } from '../../src/worker';

export const JWT_SECRET = 'notifier-test-jwt-secret-0123456789abcdef';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export type Harness = {
  db: TestDatabase;
  settings: Settings;
  transport: Transport;
  prefix: string;
  /** Ends a one-image batch with this webhook, as finishing its last image does; answers the event written. */
  endBatch(o: {
    webhookUrl: string;
    secret?: string;
    failed?: boolean;
  }): Promise<{ batchId: string; eventId: string; secret: string }>;
  deliveries(eventId: string): Promise<WebhookDelivery[]>;
  /** Waits until `probe` answers something truthy. */
  until<T>(probe: () => Promise<T>, what: string, timeoutMs?: number): Promise<Truthy<T>>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
};

export async function startHarness(
  o: { settings?: Record<string, string>; lookup?: Lookup; worker?: boolean } = {},
): Promise<Harness> {
  const db = await createTestDatabase();
  const prefix = `ntest-${randomBytes(4).toString('hex')}`;
  const settings = loadSettings({
    DATABASE_URL: db.url,
    AMQP_URL: testAmqpUrl(),
    QUEUE_PREFIX: prefix,
    QUEUE_RETRY_DELAYS_MS: '200,500',
    JWT_SECRET,
    PUBLIC_URL: 'https://pixmill.test',
    LOG_LEVEL: 'silent',
    ...o.settings,
  });
  const log = createLogger('notifier-test', settings.LOG_LEVEL);
  const transport = createAmqpTransport({
    url: settings.AMQP_URL!,
    prefix,
    prefetch: settings.QUEUE_PREFETCH,
    maxAttempts: settings.QUEUE_MAX_ATTEMPTS,
    retryDelaysMs: settings.QUEUE_RETRY_DELAYS_MS,
    log,
  });
  const relay: OutboxRelay = startOutboxRelay({ prisma: db.prisma, transport, pollMs: 50, log });
  const owner = await db.prisma.user.create({ data: { username: `u-${prefix}`, passwordHash: 'x', role: 'user' } });
  let worker: { stop(): Promise<void> } | undefined;

  const h: Harness = {
    db,
    settings,
    transport,
    prefix,
    async endBatch({ webhookUrl, secret = newSecret(), failed = false }) {
      // Two images, one already counted as failed: finishing the other ends the batch the way a worker does.
      const batch = await db.prisma.batch.create({
        data: {
          ownerId: owner.id,
          name: 'hooked',
          sourceKind: 'upload',
          recipe: {},
          status: 'processing',
          totalImages: 2,
          processedImages: 1,
          succeededImages: 0,
          failedImages: 1,
          startedAt: new Date(),
          webhookUrl,
          webhookSecret: secret,
          images: { create: { status: 'processing' } },
        },
        include: { images: true },
      });
      const { batchEnd: end } = await finishImage(
        db.prisma,
        batch.id,
        batch.images[0]!.id,
        failed ? { status: 'failed', code: 'corrupt', message: 'bad' } : { status: 'succeeded', outputs: [] },
      );
      if (!end?.eventId) throw new Error('the batch did not end with an event');
      return { batchId: batch.id, eventId: end.eventId, secret };
    },
    deliveries: (eventId) => db.prisma.webhookDelivery.findMany({ where: { eventId }, orderBy: { attempt: 'asc' } }),
    async until(probe, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await probe();
        if (v) return v as Truthy<typeof v>;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async startWorker() {
      worker = await startNotifierWorker(
        { settings, log, registry: createRegistry('notifier-test'), prisma: db.prisma, transport },
        o.lookup ? { lookup: o.lookup } : {},
      );
    },
    async stopWorker() {
      await worker?.stop();
      worker = undefined;
    },
    async close() {
      await h.stopWorker().catch(() => undefined);
      await relay.stop().catch(() => undefined);
      await transport.close().catch(() => undefined);
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
  if (o.worker !== false) await h.startWorker();
  return h;
}
