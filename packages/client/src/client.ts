// The typed client: openapi-fetch over the generated `paths`, with credentials, an Idempotency-Key on every batch
// submission and retries on 429/503. `unwrap` turns an answer into its `data` (the /api/v1 envelope) or throws.
import createClient from 'openapi-fetch';
import type { paths } from './generated/openapi';
import { errorOf } from './errors';
import { retryingFetch, type RetryOptions } from './retry-fetch';

export type { paths } from './generated/openapi';

export type ClientOptions = {
  baseUrl: string;
  /** A login token or an API key (`pmk_…`): both go as `Authorization: Bearer`. */
  token?: string;
  fetch?: typeof fetch;
  /** false: no retries. */
  retry?: RetryOptions | false;
};

export type PixmillClient = {
  api: ReturnType<typeof createClient<paths>>;
  baseUrl: string;
  /** fetch with the client's credentials and retries, for what is not JSON (ZIP, CSV, event streams). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
};

/** Paths where a POST creates something: each gets an Idempotency-Key, so a retried submit makes one batch. */
const SUBMITS = new Set(['/api/v1/batches', '/api/v1/resize']);

export function createPixmillClient(o: ClientOptions): PixmillClient {
  const baseUrl = o.baseUrl.replace(/\/+$/, '');
  const inner = o.fetch ?? globalThis.fetch;
  const send = o.retry === false ? inner : retryingFetch(inner, o.retry || {});
  const authed: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    if (o.token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${o.token}`);
    const path = new URL(request.url).pathname;
    if (request.method === 'POST' && SUBMITS.has(path) && !request.headers.has('Idempotency-Key'))
      request.headers.set('Idempotency-Key', crypto.randomUUID());
    return send(request);
  };
  const api = createClient<paths>({ baseUrl, fetch: authed });
  return { api, baseUrl, fetch: (path, init) => authed(`${baseUrl}${path}`, init) };
}

type Answer<T> = { data?: T; error?: unknown; response: Response };
/** What an /api/v1 answer carries: its envelope's `data`. */
export type DataOf<T> = T extends { success: true; data: infer D } ? D : T;

/** The `data` of a success, or a PixmillError with the error body's code and message. */
export async function unwrap<T>(answer: Promise<Answer<T>>): Promise<DataOf<NonNullable<T>>> {
  const { data, error, response } = await answer;
  if (!response.ok || data === undefined) throw errorOf(response.status, error);
  const body = data as { success?: unknown; data?: unknown };
  return (body && typeof body === 'object' && body.success === true && 'data' in body ? body.data : data) as DataOf<
    NonNullable<T>
  >;
}

/** Signs in with a username and password; the token it answers goes in `token`. */
export async function login(
  o: Omit<ClientOptions, 'token'> & { username: string; password: string },
): Promise<{ token: string; expiresIn?: number }> {
  const c = createPixmillClient(o);
  const d = (await unwrap(
    c.api.POST('/api/v1/auth/login', { body: { username: o.username, password: o.password } }),
  )) as {
    access_token: string;
    expires_in?: number;
  };
  return { token: d.access_token, ...(d.expires_in !== undefined ? { expiresIn: d.expires_in } : {}) };
}
