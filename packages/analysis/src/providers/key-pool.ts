// Several provider keys, each with its own cap on requests in flight and per minute (seed 002 rotates up to six
// Vision keys at 55 a minute each). A request takes the least busy key that may send now, or waits for one.

type KeyState = { key: string; inFlight: number; sent: number[]; coolUntil: number };

export type KeyPoolOptions = { concurrency: number; perMinute: number; now?: () => number };

const MINUTE = 60_000;

export class KeyPool {
  private readonly keys: KeyState[];
  private readonly waiters: (() => void)[] = [];
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    keys: readonly string[],
    private readonly o: KeyPoolOptions,
  ) {
    if (keys.length === 0) throw new Error('a provider needs at least one key');
    this.keys = keys.map((key) => ({ key, inFlight: 0, sent: [], coolUntil: 0 }));
    this.now = o.now ?? Date.now;
  }

  /** When `s` may send next (now, or later), or Infinity while its concurrency is used up. */
  private readyAt(s: KeyState, now: number): number {
    if (s.inFlight >= this.o.concurrency) return Infinity;
    while (s.sent.length && s.sent[0]! <= now - MINUTE) s.sent.shift();
    const byRate = s.sent.length >= this.o.perMinute ? s.sent[0]! + MINUTE : now;
    return Math.max(byRate, s.coolUntil, now);
  }

  /** Resolves with a key once one may send; call the returned release when the request ends. */
  async acquire(signal?: AbortSignal): Promise<{ key: string; release: () => void; coolDown: (ms: number) => void }> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      let best: KeyState | undefined;
      let bestAt = Infinity;
      for (const s of this.keys) {
        const at = this.readyAt(s, now);
        if (at < bestAt || (at === bestAt && best && s.inFlight < best.inFlight)) [best, bestAt] = [s, at];
      }
      if (best && bestAt <= now) {
        const s = best;
        s.inFlight++;
        s.sent.push(now);
        let released = false;
        return {
          key: s.key,
          release: () => {
            if (released) return;
            released = true;
            s.inFlight--;
            this.wake();
          },
          coolDown: (ms: number) => {
            s.coolUntil = Math.max(s.coolUntil, this.now() + ms);
          },
        };
      }
      // Wait for a release, or for the moment the earliest key becomes ready.
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        if (Number.isFinite(bestAt)) this.wakeAt(bestAt - now);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  private wakeAt(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(1, ms));
    this.timer.unref();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
}
