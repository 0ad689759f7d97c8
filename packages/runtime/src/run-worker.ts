// The composition root shared by the worker services run on their own: settings, clients, the worker, /health and /metrics.
import { loadSettings } from '@pixmill/config';
import { serveHealthAndMetrics, type HealthCheck } from '@pixmill/observability';
import { buildClients, startRelay, type Clients } from './clients';
import { runService, type Running } from './run-service';

export const dependencyChecks = (c: Pick<Clients, 'prisma' | 'transport' | 'store'>): HealthCheck[] => [
  { name: 'database', check: async () => void (await c.prisma.$queryRaw`SELECT 1`) },
  { name: 'queue', check: () => c.transport.check() },
  { name: 'storage', check: () => c.store.check() },
];

export function runWorkerService(service: string, start: (c: Clients) => Promise<Running>): Promise<void> {
  return runService(service, async () => {
    const settings = loadSettings();
    const clients = await buildClients(settings, { service, allowEmbedded: false });
    const relay = startRelay(clients);
    const worker = await start(clients);
    const health = await serveHealthAndMetrics({
      port: settings.HEALTH_PORT,
      registry: clients.registry,
      checks: dependencyChecks(clients),
    });
    clients.log.info({ healthPort: health.port }, `${service} worker consuming`);
    return {
      log: clients.log,
      stop: async () => {
        await worker.stop();
        await relay.stop();
        await health.close();
        await clients.close();
      },
    };
  });
}
