// The composition root shared by the worker services run on their own: settings, clients, the worker, /health and /metrics.
import { loadSettings, type Settings } from '@pixmill/config';
import { serveHealthAndMetrics, type HealthCheck } from '@pixmill/observability';
import { buildClients, startRelay, type Clients } from './clients';
import { runService, type Running } from './run-service';

export const dependencyChecks = (c: Pick<Clients, 'prisma' | 'transport' | 'store'>): HealthCheck[] => [
  { name: 'database', check: async () => void (await c.prisma.$queryRaw`SELECT 1`) },
  { name: 'queue', check: () => c.transport.check() },
  { name: 'storage', check: () => c.store.check() },
];

/** How long a worker starting up waits for its broker before giving up (and exiting, for its supervisor to retry). */
export const BROKER_WAIT_AT_START_MS = 60_000;

/**
 * Resolves once the broker answers, asking again until `timeoutMs` has passed: a worker that starts with its broker
 * (compose, a cluster coming back) or on a loaded machine, where the first connection takes longer than the
 * transport's 2 s wait, starts consuming when the broker is there instead of exiting at once.
 */
export async function waitForBroker(
  c: Pick<Clients, 'transport' | 'log'>,
  timeoutMs = BROKER_WAIT_AT_START_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let asked = 1; ; asked++) {
    try {
      return await c.transport.check();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      if (asked === 1) c.log.warn({ err: (err as Error).message }, 'broker not reachable yet; waiting for it');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Margin after the longest piece of work in flight: recording its outcome, publishing, closing the clients. */
const SHUTDOWN_MARGIN_MS = 10_000;
const MIN_SHUTDOWN_MS = 25_000;

/**
 * How long a worker may take to drain after SIGTERM: its longest unit of work in flight (one image, one URL fetch,
 * one webhook attempt) plus a margin. Kubernetes' terminationGracePeriodSeconds must be longer (k8s/ is checked).
 */
export function shutdownDeadlineMs(
  service: string,
  s: Pick<Settings, 'RESIZE_TIMEOUT_MS' | 'FETCH_TIMEOUT_MS' | 'WEBHOOK_TIMEOUT_MS' | 'ANALYSIS_TIMEOUT_MS'>,
): number {
  const longest: Record<string, number> = {
    resize: s.RESIZE_TIMEOUT_MS,
    // faces and text of one image, each with its own limit
    analyze: 2 * s.ANALYSIS_TIMEOUT_MS,
    ingest: s.FETCH_TIMEOUT_MS,
    notifier: s.WEBHOOK_TIMEOUT_MS,
  };
  return Math.max(MIN_SHUTDOWN_MS, (longest[service] ?? 0) + SHUTDOWN_MARGIN_MS);
}

export function runWorkerService(service: string, start: (c: Clients) => Promise<Running>): Promise<void> {
  return runService(service, async () => {
    const settings = loadSettings();
    const clients = await buildClients(settings, { service, allowEmbedded: false });
    const relay = startRelay(clients);
    await waitForBroker(clients);
    const worker = await start(clients);
    const health = await serveHealthAndMetrics({
      port: settings.HEALTH_PORT,
      host: settings.HOST,
      registry: clients.registry,
      checks: dependencyChecks(clients),
    });
    clients.log.info({ healthHost: health.host, healthPort: health.port }, `${service} worker consuming`);
    return {
      log: clients.log,
      shutdownTimeoutMs: shutdownDeadlineMs(service, settings),
      stop: async () => {
        clients.releaseHeldJobs();
        await worker.stop();
        await relay.stop();
        await health.close();
        await clients.close();
      },
    };
  });
}
