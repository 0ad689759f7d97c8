// Runs a service until SIGTERM/SIGINT, then stops it gracefully within a deadline (Kubernetes' grace period).
import type { Logger } from '@pixmill/observability';
import { ConfigError } from '@pixmill/config';

/** Kubernetes' default grace period is 30 s: exit (with work redelivered) a little before it kills the process. */
export const DEFAULT_SHUTDOWN_MS = 25_000;

export type Running = { stop(): Promise<void> };

/** What a started service tells runService; `shutdownTimeoutMs` (when set) overrides the caller's deadline. */
export type StartedService = Running & { log: Logger; shutdownTimeoutMs?: number };

export async function runService(
  name: string,
  start: () => Promise<StartedService>,
  o: { shutdownTimeoutMs?: number } = {},
): Promise<void> {
  let running: StartedService | undefined;
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
    const deadline = setTimeout(
      () => {
        service.log.error('shutdown deadline passed; exiting with work unfinished (it will be redelivered)');
        process.exit(1);
      },
      service.shutdownTimeoutMs ?? o.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_MS,
    );
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
