// One image URL to one original: fetched through the SSRF-guarded fetcher, retried while the failure is transient,
// then judged by its bytes. Failures come back as an image error code, never thrown: a bad URL fails its own image.
import { contentTypeOf, extensionOf, sniffImageType, sniffUnsupportedType, type ImageFormat } from '@pixmill/imaging';
import type { ImageFailureCode } from '@pixmill/contracts';
import { FetchError, type SafeFetcher } from '@pixmill/safe-fetch';

export type RetryPolicy = {
  /** Tries per URL, the first included. */
  attempts: number;
  /** Delay before the second try; each later one waits 4x longer (with jitter). */
  baseDelayMs: number;
};

export const DEFAULT_FETCH_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500 };

/** Longer URLs are refused before any request: nothing legitimate needs more, and they bloat every row they touch. */
export const MAX_URL_CHARS = 4096;

export type FetchedOriginal = {
  ok: true;
  body: Buffer;
  format: ImageFormat;
  extension: string;
  contentType: string;
  tries: number;
};
export type FetchFailure = { ok: false; code: ImageFailureCode; message: string; tries: number };
export type FetchOutcome = FetchedOriginal | FetchFailure;

export type FetchOriginalOptions = {
  retry: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** No retry is started once this is aborted (the worker is stopping): `stopped` is thrown instead. */
  stopping?: AbortSignal;
  stopped?: () => Error;
};

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function fetchOriginal(
  fetcher: Pick<SafeFetcher, 'get'>,
  url: string,
  o: FetchOriginalOptions,
): Promise<FetchOutcome> {
  const trimmed = url.trim();
  if (trimmed === '') return { ok: false, code: 'invalid_url', message: 'the URL is empty', tries: 0 };
  if (trimmed.length > MAX_URL_CHARS) {
    return { ok: false, code: 'invalid_url', message: `the URL is longer than ${MAX_URL_CHARS} characters`, tries: 0 };
  }
  const sleep = o.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetcher.get(trimmed, { accept: 'image/*' });
      return judge(res.body, res.contentType, hostOf(res.finalUrl), attempt);
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      if (!err.transient || attempt >= o.retry.attempts) {
        const tries = attempt;
        const suffix = err.transient && tries > 1 ? ` (after ${tries} tries)` : '';
        return { ok: false, code: fetchErrorCode(err), message: `${err.message}${suffix}`, tries };
      }
      if (o.stopping?.aborted) throw o.stopped?.() ?? new Error('stopping');
      await sleep(backoff(o.retry.baseDelayMs, attempt));
    }
  }
}

/** The image error code for a fetch failure: safe-fetch's own code, with the HTTP status spelled out. */
export function fetchErrorCode(err: FetchError): ImageFailureCode {
  if (err.code === 'http_error') return err.status === undefined ? 'http_error' : `http_${err.status}`;
  if (err.code === 'network') return 'network_error';
  return err.code;
}

function judge(body: Buffer, contentType: string | undefined, host: string, tries: number): FetchOutcome {
  const format = sniffImageType(body);
  // The stored Content-Type follows the bytes, not what the remote server claimed.
  if (format)
    return { ok: true, body, format, extension: extensionOf(format), contentType: contentTypeOf(format), tries };
  const unsupported = sniffUnsupportedType(body);
  if (unsupported) {
    return {
      ok: false,
      code: 'unsupported_format',
      message: `${host} sent a ${unsupported} file, which is not supported`,
      tries,
    };
  }
  const what =
    body.length === 0 ? 'an empty body' : contentType ? `${contentType.split(';')[0]!.trim()} content` : 'content';
  return {
    ok: false,
    code: 'not_an_image',
    message: `${host} sent ${what} that is not a JPEG, PNG, WebP, AVIF, GIF or TIFF image`,
    tries,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

/** 1x, 4x, 16x the base, each with up to 25% jitter so a batch's retries don't hit a server in step. */
export function backoff(baseMs: number, attempt: number): number {
  const ms = baseMs * 4 ** (attempt - 1);
  return Math.round(ms * (1 + Math.random() * 0.25));
}
