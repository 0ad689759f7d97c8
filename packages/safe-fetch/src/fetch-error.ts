/** The one error type of safe-fetch: a code callers branch on, a transient flag retries follow, a message safe to show. */

export type FetchErrorCode =
  | 'invalid_url'
  | 'blocked_scheme'
  | 'blocked_address'
  | 'dns_failure'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'http_error'
  | 'network';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  /** True when trying again later may succeed (timeouts, resets, 5xx, 429, temporary DNS failure). */
  readonly transient: boolean;
  /** The HTTP status, for `http_error`. */
  readonly status?: number;

  constructor(code: FetchErrorCode, message: string, opts: { transient?: boolean; status?: number } = {}) {
    super(message);
    this.code = code;
    this.transient = opts.transient ?? (code === 'timeout' || code === 'network');
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** 5xx and 429 are worth retrying; other statuses will answer the same again. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export function httpError(host: string, status: number): FetchError {
  return new FetchError('http_error', `${host} answered HTTP ${status}`, {
    status,
    transient: isTransientStatus(status),
  });
}

// getaddrinfo/c-ares codes that mean "ask again later"; anything else (ENOTFOUND, ENODATA, EAI_FAIL) will not change soon.
const TRANSIENT_DNS = new Set(['EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'ECANCELLED', 'EAI_MEMORY']);

export function dnsError(host: string, err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const code = errorCode(err);
  const transient = code !== undefined && TRANSIENT_DNS.has(code);
  return new FetchError('dns_failure', `could not resolve ${host}${transient ? ' (temporary failure)' : ''}`, {
    transient,
  });
}

export function blockedAddress(host: string, how: 'literal' | 'resolved'): FetchError {
  // The resolved address is deliberately not named: it would tell a stranger about the internal network.
  const what = how === 'literal' ? 'is' : 'resolves to';
  return new FetchError('blocked_address', `${host} ${what} a private or reserved address; refused`, {
    transient: false,
  });
}

/** Maps what undici, net and tls throw to a FetchError whose message names only the host and a plain reason. */
export function toFetchError(err: unknown, host: string): FetchError {
  if (err instanceof FetchError) return err;
  const code = errorCode(err) ?? '';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return new FetchError('timeout', `${host} did not answer in time`);
    case 'ECONNREFUSED':
      return new FetchError('network', `${host} refused the connection`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new FetchError('network', `the connection to ${host} was closed unexpectedly`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new FetchError('network', `${host} is unreachable`);
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new FetchError('network', `${host} sent an invalid HTTP response`, { transient: false });
  }
  if (code.startsWith('HPE_')) {
    return new FetchError('network', `${host} sent an invalid HTTP response`, { transient: false });
  }
  if (code.startsWith('ERR_TLS_') || code.includes('CERT') || code.startsWith('ERR_SSL_')) {
    return new FetchError('network', `the TLS connection to ${host} failed (certificate or handshake)`, {
      transient: false,
    });
  }
  if (code.startsWith('UND_ERR_INVALID') || code.startsWith('ERR_INVALID') || code.startsWith('ERR_HTTP_INVALID')) {
    return new FetchError('network', `the request to ${host} is invalid`, { transient: false });
  }
  return new FetchError('network', `fetching from ${host} failed`);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
