// bcrypt costs about a quarter second of a core per hash, on libuv's thread pool that sharp also uses. Bounding how
// many run at once keeps a login flood (from many addresses, past the rate limits) from starving image work and
// the rest of the API: a hash waits briefly for a slot, and a login that would wait too long is answered 503 with
// Retry-After at once instead of piling up.
import { HttpError } from '../errors';

export class PasswordWorkBusyError extends HttpError {
  readonly status = 503;
  readonly code = 'busy';
  constructor(readonly retryAfterSeconds: number) {
    super('too many logins at once; retry shortly', { retry_after_seconds: retryAfterSeconds });
  }
}

export type PasswordWork = {
  /** Runs `hash` when a slot is free; throws PasswordWorkBusyError when it would not start within the wait. */
  run<T>(hash: () => Promise<T>): Promise<T>;
  /** Hashes running and waiting, for tests and metrics. */
  readonly running: number;
  readonly waiting: number;
};

/** A first guess of one hash's duration, until some have been measured. */
const INITIAL_HASH_MS = 250;

export function createPasswordWork(o: { concurrency: number; maxWaitMs: number }): PasswordWork {
  let running = 0;
  let averageMs = INITIAL_HASH_MS;
  const queue: { start: () => void; timer: NodeJS.Timeout }[] = [];
  const retryAfter = () => Math.max(1, Math.ceil((((queue.length + 1) / o.concurrency) * averageMs) / 1000));

  // A finished hash hands its slot straight to the next in line, so nobody arriving meanwhile can take it.
  const release = () => {
    const next = queue.shift();
    if (!next) {
      running--;
      return;
    }
    clearTimeout(next.timer);
    next.start();
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    async run(hash) {
      if (running < o.concurrency) running++;
      else {
        // The wait it would have, from how long hashes take here: refuse at once rather than time out later.
        if ((queue.length / o.concurrency) * averageMs >= o.maxWaitMs) throw new PasswordWorkBusyError(retryAfter());
        await new Promise<void>((resolve, reject) => {
          const entry = {
            start: resolve,
            timer: setTimeout(() => {
              queue.splice(queue.indexOf(entry), 1);
              reject(new PasswordWorkBusyError(retryAfter()));
            }, o.maxWaitMs),
          };
          queue.push(entry);
        });
      }
      const started = performance.now();
      try {
        return await hash();
      } finally {
        averageMs = 0.8 * averageMs + 0.2 * (performance.now() - started);
        release();
      }
    },
  };
}
