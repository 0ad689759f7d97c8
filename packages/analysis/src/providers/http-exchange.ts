// One JSON request to a provider: the answer is read up to a byte cap, status codes become ProviderErrors.
import { ProviderError } from '../analysis.error';

/** Seconds or an HTTP date (Retry-After), or OpenAI's `x-ratelimit-reset-requests` ("1s", "6m0s", "20ms"). */
export function retryAfterMs(headers: Headers): number | undefined {
  const ra = headers.get('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const reset = headers.get('x-ratelimit-reset-requests');
  const m = reset?.match(/^(?:(\d+)m)?(?:([\d.]+)s)?(?:(\d+)ms)?$/);
  if (reset && m && (m[1] || m[2] || m[3]))
    return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[3] ?? 0);
  return undefined;
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new ProviderError('provider_bad_answer', `answer of ${declared} bytes is over the cap of ${maxBytes}`, false);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ProviderError('provider_bad_answer', `answer is over the cap of ${maxBytes} bytes`, false);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs `body` as JSON and returns the parsed JSON answer of a 2xx; the key is never part of an error message. */
export async function postJson(
  url: string,
  body: unknown,
  o: { headers?: Record<string, string>; signal: AbortSignal; maxAnswerBytes: number; provider: string },
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...o.headers },
      body: JSON.stringify(body),
      signal: o.signal,
      redirect: 'error',
    });
  } catch (err) {
    if (o.signal.aborted) throw new ProviderError('provider_timeout', `${o.provider} did not answer in time`, true);
    throw new ProviderError(
      'provider_unavailable',
      `${o.provider} could not be reached: ${(err as Error).message}`,
      true,
    );
  }
  let text: string;
  try {
    text = await readCapped(res, o.maxAnswerBytes);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (o.signal.aborted)
      throw new ProviderError('provider_timeout', `${o.provider} did not finish its answer in time`, true);
    throw new ProviderError('provider_unavailable', `${o.provider} answer was cut: ${(err as Error).message}`, true);
  }
  if (res.status === 429)
    throw new ProviderError(
      'provider_rate_limited',
      `${o.provider} answered 429 (rate limited)`,
      true,
      retryAfterMs(res.headers),
    );
  if (res.status >= 500) throw new ProviderError('provider_unavailable', `${o.provider} answered ${res.status}`, true);
  if (res.status < 200 || res.status >= 300) {
    throw new ProviderError('provider_refused', `${o.provider} answered ${res.status}: ${errorMessageOf(text)}`, false);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(
      'provider_bad_answer',
      `${o.provider} answered ${res.status} with a body that is not JSON`,
      false,
    );
  }
}

/** Both providers put `{ error: { message } }` in refusals; only that message is kept (short, no echo of input). */
function errorMessageOf(text: string): string {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON: say nothing of it
  }
  return 'no error message';
}
