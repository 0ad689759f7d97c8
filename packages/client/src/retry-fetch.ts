// A fetch that tries again on 429 and 503, waiting what `Retry-After` says (else exponential backoff with jitter),
// and on network errors for requests that are safe to repeat. A body is re-sent from a clone; multipart uploads are
// not cloned (a clone holds the whole upload in memory): createBatch rebuilds those from the files instead.
export type RetryOptions = {
  /** Attempts after the first (default 4). */
  retries?: number;
  /** First backoff when the server gives no Retry-After (default 500 ms; doubles, capped at 30 s). */
  baseDelayMs?: number;
  /** Longest wait honoured from a Retry-After (default 60 s). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

const RETRIED = new Set([429, 503]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Milliseconds a Retry-After header asks for (seconds, or an HTTP date), if it says anything usable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function retryingFetch(inner: typeof fetch = globalThis.fetch, o: RetryOptions = {}): typeof fetch {
  const retries = o.retries ?? 4;
  const base = o.baseDelayMs ?? 500;
  const max = o.maxDelayMs ?? 60_000;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (input, init) => {
    const request = new Request(input, init);
    // A request with an Idempotency-Key is safe to send again: the server answers the first one's result.
    const repeatable = IDEMPOTENT.has(request.method) || request.headers.has('Idempotency-Key');
    const replayable = !(request.headers.get('Content-Type') ?? '').startsWith('multipart/form-data');
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= retries || !replayable;
      const backoff = Math.min(30_000, base * 2 ** attempt) * (0.5 + Math.random() / 2);
      let res: Response;
      try {
        res = await inner(last ? request : request.clone());
      } catch (err) {
        if (last || !repeatable || (err as Error).name === 'AbortError') throw err;
        await sleep(backoff);
        continue;
      }
      if (last || !RETRIED.has(res.status)) return res;
      const wait = retryAfterMs(res.headers.get('Retry-After'));
      await res.body?.cancel();
      await sleep(Math.min(max, wait ?? backoff));
    }
  };
}
