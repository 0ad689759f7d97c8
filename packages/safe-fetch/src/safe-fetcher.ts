/** HTTP GET (images) and single requests (webhooks) to strangers' URLs, through the guarded connector, with caps on time and bytes. */
import type { Readable } from 'node:stream';
import { Agent, request as send } from 'undici';
import { parseAllowHosts } from './allow-hosts';
import { FetchError, httpError, toFetchError } from './fetch-error';
import { createGuardedConnector } from './guarded-connector';
import { defaultLookup, type Lookup } from './lookup';
import { checkUrl } from './url-policy';

export type SafeFetchOptions = {
  /** `host` or `host:port` that may be reached although private or loopback (FETCH_ALLOW_HOSTS). */
  allowHosts: string[];
  connectTimeoutMs: number;
  /** Whole exchange: connect, headers and body, across every redirect hop. */
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  lookup?: Lookup;
  userAgent?: string;
};

export type GetResult = { status: number; finalUrl: string; contentType?: string; body: Buffer };
export type RequestResult = { status: number; headers: Record<string, string>; body: string };

export type SafeFetcher = {
  get(url: string, opts?: { accept?: string; signal?: AbortSignal }): Promise<GetResult>;
  request(
    url: string,
    opts: { method: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
  ): Promise<RequestResult>;
  close(): Promise<void>;
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// A redirect's or error's body is read this far so the connection can be reused, then dropped.
const DRAIN_LIMIT = 64 * 1024;
// Webhook answers are kept for the delivery log only.
const RESPONSE_TEXT_CAP = 64 * 1024;
const DEFAULT_USER_AGENT = 'pixmill-safe-fetch/0.1';

export function createSafeFetcher(o: SafeFetchOptions): SafeFetcher {
  for (const key of ['connectTimeoutMs', 'timeoutMs', 'maxBytes'] as const) {
    if (!Number.isInteger(o[key]) || o[key] <= 0) throw new TypeError(`safe-fetch: ${key} must be a positive integer`);
  }
  if (!Number.isInteger(o.maxRedirects) || o.maxRedirects < 0) {
    throw new TypeError('safe-fetch: maxRedirects must be a non-negative integer');
  }
  const allow = parseAllowHosts(o.allowHosts);
  const agent = new Agent({
    connect: createGuardedConnector({ allow, lookup: o.lookup ?? defaultLookup, connectTimeoutMs: o.connectTimeoutMs }),
  });
  const userAgent = o.userAgent ?? DEFAULT_USER_AGENT;

  async function get(url: string, opts: { accept?: string; signal?: AbortSignal } = {}): Promise<GetResult> {
    let target = checkUrl(url, allow);
    return withDeadline(
      o.timeoutMs,
      opts.signal,
      () => target.host,
      async (signal) => {
        for (let hop = 0; ; hop++) {
          const res = await send(target.url, {
            dispatcher: agent,
            method: 'GET',
            // identity: undici does not decompress, and the byte cap must count what the caller will get.
            headers: { accept: opts.accept ?? '*/*', 'accept-encoding': 'identity', 'user-agent': userAgent },
            signal,
          });
          if (REDIRECTS.has(res.statusCode)) {
            await drain(res.body);
            const location = headerValue(res.headers, 'location');
            if (location === undefined) throw httpError(target.host, res.statusCode);
            if (hop >= o.maxRedirects) {
              throw new FetchError(
                'too_many_redirects',
                `${target.host} redirected more than ${o.maxRedirects} times`,
                {
                  transient: false,
                },
              );
            }
            target = checkUrl(redirectTarget(location, target.url, target.host), allow);
            continue;
          }
          if (res.statusCode < 200 || res.statusCode > 299) {
            await drain(res.body);
            throw httpError(target.host, res.statusCode);
          }
          const declared = Number(headerValue(res.headers, 'content-length'));
          if (Number.isFinite(declared) && declared > o.maxBytes) {
            res.body.destroy();
            throw tooLarge(target.host, o.maxBytes);
          }
          const body = await readCapped(res.body, o.maxBytes);
          if (body === undefined) throw tooLarge(target.host, o.maxBytes);
          const contentType = headerValue(res.headers, 'content-type');
          return { status: res.statusCode, finalUrl: target.url.href, body, ...(contentType ? { contentType } : {}) };
        }
      },
    );
  }

  async function request(
    url: string,
    opts: { method: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
  ): Promise<RequestResult> {
    const target = checkUrl(url, allow);
    const headers = { ...opts.headers };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')) headers['user-agent'] = userAgent;
    return withDeadline(
      opts.timeoutMs ?? o.timeoutMs,
      undefined,
      () => target.host,
      async (signal) => {
        // No redirect handling at all: a webhook's 3xx is the receiver's answer and is returned as such.
        const res = await send(target.url, {
          dispatcher: agent,
          method: opts.method,
          headers,
          body: opts.body,
          signal,
        });
        const cap = Math.min(RESPONSE_TEXT_CAP, o.maxBytes);
        const body = (await readCapped(res.body, cap, 'truncate')) ?? Buffer.alloc(0);
        return { status: res.statusCode, headers: flattenHeaders(res.headers), body: body.toString('utf8') };
      },
    );
  }

  return { get, request, close: () => agent.close() };
}

/** Runs `work` under one deadline (and the caller's signal), and turns whatever it throws into a FetchError. */
async function withDeadline<T>(
  ms: number,
  outer: AbortSignal | undefined,
  currentHost: () => string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, ms);
  const onOuterAbort = () => ctl.abort();
  if (outer?.aborted) ctl.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await work(ctl.signal);
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (timedOut) throw new FetchError('timeout', `${currentHost()} did not answer within ${ms} ms`);
    if (outer?.aborted) throw new FetchError('network', `the request to ${currentHost()} was cancelled`);
    throw toFetchError(err, currentHost());
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * Reads at most `cap` bytes, stopping (and destroying the stream, which closes the connection) as soon as more arrive.
 * Returns undefined when the cap was passed, unless `truncate`, which returns the first `cap` bytes instead.
 */
async function readCapped(
  body: Readable,
  cap: number,
  mode: 'strict' | 'truncate' = 'strict',
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > cap) {
      body.destroy();
      if (mode === 'strict') return undefined;
      chunks.push(chunk.subarray(0, cap - size));
      return Buffer.concat(chunks);
    }
    size += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function drain(body: Readable & { dump?: (o: { limit: number }) => Promise<void> }): Promise<void> {
  // dump() reads up to the limit and then closes; an error here only means the connection is not reused.
  await body.dump?.({ limit: DRAIN_LIMIT }).catch(() => undefined);
}

function redirectTarget(location: string, base: URL, host: string): URL {
  try {
    return new URL(location, base);
  } catch {
    throw new FetchError('invalid_url', `${host} redirected to an invalid URL`, { transient: false });
  }
}

function tooLarge(host: string, maxBytes: number): FetchError {
  return new FetchError('too_large', `${host} sent more than ${maxBytes} bytes`, { transient: false });
}

type RawHeaders = Record<string, string | string[] | undefined>;

function headerValue(headers: RawHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function flattenHeaders(headers: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
