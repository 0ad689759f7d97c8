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

/** Margin after the longest piece of work in flight: recording its outcome, publishing, closing the clients. */
const SHUTDOWN_MARGIN_MS = 10_000;
const MIN_SHUTDOWN_MS = 25_000;

/**
 * How long a worker may take to drain after SIGTERM: its longest unit of work in flight (one image, one URL fetch,
 * one webhook attempt) plus a margin. Kubernetes' terminationGracePeriodSeconds must be longer (k8s/ is checked).
 */
export function shutdownDeadlineMs(
  service: string,
  s: Pick<Settings, 'RESIZE_TIMEOUT_MS' | 'FETCH_TIMEOUT_MS' | 'WEBHOOK_TIMEOUT_MS'>,
): number {
  const longest: Record<string, number> = {
    resize: s.RESIZE_TIMEOUT_MS,
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
