// The notifier worker: consumes `notify.webhook` and delivers through an SSRF-guarded fetcher that never follows
// redirects. Retries are scheduled through the outbox, so stopping or killing a worker loses no pending delivery.
import { publicUrl } from '@pixmill/config';
import { Counter, Histogram, metric } from '@pixmill/observability';
import { createSafeFetcher, type Lookup } from '@pixmill/safe-fetch';
import type { Clients } from '@pixmill/runtime';
import { makeNotifyWebhookHandler } from './handlers/notify-webhook.handler';

export type NotifierOptions = {
  /** Key of the signed results links in payloads (the JWT secret); default JWT_SECRET. Without one links are unsigned. */
  resultsLinkSecret?: string;
  /** DNS for the SSRF guard; tests point names at chosen addresses. */
  lookup?: Lookup;
  /** Messages handled at once (default 8): each may wait up to WEBHOOK_TIMEOUT_MS on a slow receiver. */
  prefetch?: number;
};

// A webhook's answer is kept for the delivery log only.
const RESPONSE_BYTES = 64 * 1024;

export async function startNotifierWorker(
  c: Pick<Clients, 'settings' | 'log' | 'registry' | 'prisma' | 'transport'>,
  o: NotifierOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const s = c.settings;
  const log = c.log.child({ component: 'notifier' });
  const resultsLinkSecret = o.resultsLinkSecret ?? s.JWT_SECRET;
  if (!resultsLinkSecret) log.warn('no JWT_SECRET: results_csv_url in webhooks will need an API token to download');
  const fetcher = createSafeFetcher({
    allowHosts: s.FETCH_ALLOW_HOSTS,
    connectTimeoutMs: Math.min(s.FETCH_CONNECT_TIMEOUT_MS, s.WEBHOOK_TIMEOUT_MS),
    timeoutMs: s.WEBHOOK_TIMEOUT_MS,
    maxBytes: RESPONSE_BYTES,
    maxRedirects: 0,
    userAgent: 'pixmill-webhooks/0.1',
    ...(o.lookup ? { lookup: o.lookup } : {}),
  });
  const attempts = metric(
    c.registry,
    'pixmill_webhook_attempts_total',
    () =>
      new Counter({
        name: 'pixmill_webhook_attempts_total',
        help: 'Webhook delivery attempts by outcome',
        labelNames: ['outcome'],
        registers: [c.registry],
      }),
  );
  const seconds = metric(
    c.registry,
    'pixmill_webhook_attempt_seconds',
    () =>
      new Histogram({
        name: 'pixmill_webhook_attempt_seconds',
        help: 'Duration of webhook delivery attempts',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
        registers: [c.registry],
      }),
  );
  const handler = makeNotifyWebhookHandler({
    prisma: c.prisma,
    fetcher,
    log,
    config: {
      publicUrl: publicUrl(s),
      resultsLinkSecret,
      timeoutMs: s.WEBHOOK_TIMEOUT_MS,
      retryScheduleMs: s.WEBHOOK_RETRY_SCHEDULE_MS,
      defaultSecret: s.WEBHOOK_DEFAULT_SECRET,
    },
    onAttempt: (a) => {
      attempts.inc({ outcome: a.outcome });
      seconds.observe(a.durationMs / 1000);
    },
  });
  const consumer = await c.transport.consume('notify.webhook', handler, { prefetch: o.prefetch ?? 8 });
  return {
    stop: async () => {
      await consumer.cancel();
      await fetcher.close();
    },
  };
}
