// The dashboard's only way to the server: the public /api/v1, as any client uses it, signed in by the session cookie.
// Every answer is unwrapped from seed 002's envelope (`{ success, data, message, timestamp }`); every refusal becomes an
// ApiError carrying the API's message, code and details, so a page can show it next to the field it concerns. State-
// changing requests carry the session's CSRF token. Kept small and typed so the generated SDK can replace it.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
export const setCsrfToken = (token: string | undefined) => {
  csrfToken = token;
};
export const getCsrfToken = () => csrfToken;

/** Called when an answer says the session is gone, so the app can send the user to sign in. */
let onSignedOut: () => void = () => undefined;
export const whenSignedOut = (f: () => void) => {
  onSignedOut = f;
};

type Json = Record<string, unknown>;

/**
 * The data of an answer: every JSON success of /api/v1 comes as `{ success: true, data, message?, timestamp }`. An
 * empty answer (204) is undefined; anything else is not an answer of this API.
 */
export function unwrap<T>(body: unknown): T {
  if (body === undefined) return undefined as T;
  if (body && typeof body === 'object' && (body as Json).success === true && 'data' in body) {
    return (body as { data: T }).data;
  }
  throw new ApiError(0, 'unexpected_answer', 'the server answered something that is not an API answer', null);
}

/** The API's error body, `{ success: false, error, code, details, timestamp }`, as an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as Json;
  if (typeof b.error === 'string') {
    return new ApiError(status, String(b.code ?? 'error'), b.error, b.details ?? null);
  }
  return new ApiError(status, 'error', `request failed (HTTP ${status})`, null);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(withQuery(path, query), { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const err = toApiError(res.status, parsed);
    if (res.status === 401) onSignedOut();
    throw err;
  }
  return unwrap<T>(parsed);
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query);
export const post = <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, body ?? {}, query);
export const del = <T>(path: string, query?: Query) => request<T>('DELETE', path, undefined, query);

/**
 * A multipart POST with upload progress (fetch can't report it): `onProgress` gets the bytes sent so far and the
 * total. Answers the unwrapped data, or throws the API's refusal.
 */
export function postWithProgress<T>(
  path: string,
  form: FormData,
  onProgress: (sent: number, total: number) => void,
): { done: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(unwrap<T>(parsed));
      else {
        if (xhr.status === 401) onSignedOut();
        reject(toApiError(xhr.status, parsed));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload was interrupted (network error)', null));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'the upload was cancelled', null));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
