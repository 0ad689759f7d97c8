// Runs a service until SIGTERM/SIGINT, then stops it gracefully within a deadline (Kubernetes' grace period).
import type { Logger } from '@pixmill/observability';
import { ConfigError } from '@pixmill/config';

export type Running = { stop(): Promise<void> };

export async function runService(
  name: string,
  start: () => Promise<Running & { log: Logger }>,
  o: { shutdownTimeoutMs?: number } = {},
): Promise<void> {
  let running: (Running & { log: Logger }) | undefined;
  try {
    running = await start();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: ${err.message}`);
    } else {
      console.error(`${name}: failed to start:`, err);
    }
    process.exit(1);
  }
  const service = running;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.log.info({ signal }, 'shutting down: finishing work in flight');
    const deadline = setTimeout(() => {
      service.log.error('shutdown deadline passed; exiting with work unfinished (it will be redelivered)');
      process.exit(1);
    }, o.shutdownTimeoutMs ?? 25_000);
    deadline.unref();
    service
      .stop()
      .then(() => {
        service.log.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        service.log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
