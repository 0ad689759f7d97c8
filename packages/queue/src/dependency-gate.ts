// Jobs that fail because a dependency every job needs (the database) is down do not spend their attempts: the job is
// held, unacked, until the dependency answers again, then run again as the same attempt. Holding rather than retrying
// keeps the worker from churning through the whole queue meanwhile (its prefetch is full of held jobs), and an outage
// of any length no longer dead-letters jobs once the retry schedule runs out.

export interface DependencyGate {
  /** True when `err` means the dependency is unreachable (not that the job is wrong). */
  isOutage(err: unknown): boolean;
  /** Resolves true once the dependency answers, false if the gate was closed first (the worker is stopping). */
  waitUntilAvailable(): Promise<boolean>;
}

export type DependencyGateOptions = {
  isOutage(err: unknown): boolean;
  /** Resolves when the dependency answers, rejects while it does not. */
  probe(): Promise<unknown>;
  /** Between probes while it is down. Default 1000. */
  probeIntervalMs?: number;
  /** Told when an outage starts (the first held job) and ends. */
  onChange?(available: boolean): void;
};

export type ClosableDependencyGate = DependencyGate & { close(): void };

/** One gate per process: every held job waits on the same probe loop, whatever the number of jobs held. */
export function createDependencyGate(o: DependencyGateOptions): ClosableDependencyGate {
  const interval = o.probeIntervalMs ?? 1_000;
  let closed = false;
  let waiting: Promise<boolean> | undefined;
  let wakeClosed: (() => void) | undefined;

  const probeUntilUp = async (): Promise<boolean> => {
    o.onChange?.(false);
    while (!closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wakeClosed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeClosed = undefined;
      if (closed) break;
      try {
        await o.probe();
        o.onChange?.(true);
        return true;
      } catch {
        // still down
      }
    }
    return false;
  };

  return {
    isOutage: (err) => o.isOutage(err),
    waitUntilAvailable() {
      if (closed) return Promise.resolve(false);
      waiting ??= probeUntilUp().finally(() => {
        waiting = undefined;
      });
      return waiting;
    },
    close() {
      closed = true;
      wakeClosed?.();
    },
  };
}
