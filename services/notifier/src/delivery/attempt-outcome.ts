// What one attempt's answer means for the delivery: done, retry later, give up, or stop for good (410).
import { FetchError, isTransientStatus, type RequestResult } from '@pixmill/safe-fetch';

export type AttemptResult = { kind: 'response'; response: RequestResult } | { kind: 'error'; error: unknown };

export type Verdict =
  | { outcome: 'succeeded'; statusCode: number }
  | { outcome: 'disabled'; statusCode: number; error: string }
  | { outcome: 'failed'; statusCode: number | null; error: string; retryable: boolean };

const ERROR_CHARS = 500;

export function judge(r: AttemptResult): Verdict {
  if (r.kind === 'error') {
    const err = r.error;
    if (err instanceof FetchError)
      return { outcome: 'failed', statusCode: null, error: `${err.code}: ${err.message}`, retryable: err.transient };
    // Not from the fetcher (a bug, or the runtime): worth another try rather than losing the event.
    return {
      outcome: 'failed',
      statusCode: null,
      error: clip(`error: ${(err as Error)?.message ?? String(err)}`),
      retryable: true,
    };
  }
  const { status, headers, body } = r.response;
  if (status >= 200 && status <= 299) return { outcome: 'succeeded', statusCode: status };
  if (status === 410)
    return {
      outcome: 'disabled',
      statusCode: status,
      error: 'HTTP 410: the receiver asked for no more webhooks for this batch',
    };
  if (status >= 300 && status <= 399) {
    const where = headers.location ? ` to ${headers.location}` : '';
    return {
      outcome: 'failed',
      statusCode: status,
      error: clip(`HTTP ${status}: redirect${where} not followed`),
      retryable: false,
    };
  }
  const text = body.trim();
  return {
    outcome: 'failed',
    statusCode: status,
    error: clip(`HTTP ${status}${text ? `: ${text}` : ''}`),
    retryable: isTransientStatus(status),
  };
}

const clip = (s: string) => (s.length > ERROR_CHARS ? `${s.slice(0, ERROR_CHARS)}…` : s);
