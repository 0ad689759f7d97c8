// Why an image failed: the codes the workers store in `images.error_code`, and the category the batch analysis
// groups each under. A new code is a compile error in every exhaustive switch over it.

/** Failure codes other than `http_<status>`. */
export const IMAGE_FAILURE_CODES = [
  // Fetching a URL (safe-fetch's codes; `network` is stored as `network_error`).
  'invalid_url',
  'blocked_scheme',
  'blocked_address',
  'dns_failure',
  'network_error',
  'too_many_redirects',
  'too_large',
  'http_error',
  'timeout',
  // What the bytes are (the sniffer and the imaging package).
  'not_an_image',
  'unsupported_format',
  'pixel_limit',
  'truncated',
  'corrupt',
  'max_bytes_unreachable',
  // The workers' own.
  'invalid_recipe',
  'missing_original',
  'internal_error',
  /** A duplicate URL whose first occurrence failed without a code. */
  'fetch_failed',
] as const;

/** `http_404`: the host answered with that status. */
export type HttpFailureCode = `http_${number}`;
export type ImageFailureCode = (typeof IMAGE_FAILURE_CODES)[number] | HttpFailureCode;

export type FailureCategory =
  'network' | 'http' | 'invalid_url' | 'blocked' | 'not_an_image' | 'too_large' | 'processing' | 'other';

const KNOWN: ReadonlySet<string> = new Set(IMAGE_FAILURE_CODES);

/** The code as stored, if it is one of ours (rows written by older code may hold others). */
export function asFailureCode(code: string | null): ImageFailureCode | null {
  if (code === null) return null;
  if (KNOWN.has(code) || /^http_\d{3}$/.test(code)) return code as ImageFailureCode;
  return null;
}

/** A failure's category; `fetched` (the image has its original) tells a processing timeout from a download one. */
export function failureCategory(code: ImageFailureCode | null, fetched: boolean): FailureCategory {
  if (code === null) return 'other';
  if (code.startsWith('http_')) return 'http';
  const known = code as (typeof IMAGE_FAILURE_CODES)[number];
  switch (known) {
    case 'blocked_address':
    case 'blocked_scheme':
      return 'blocked';
    case 'invalid_url':
      return 'invalid_url';
    case 'not_an_image':
    case 'unsupported_format':
      return 'not_an_image';
    case 'too_large':
    case 'pixel_limit':
      return 'too_large';
    case 'http_error':
      return 'http';
    case 'timeout':
      return fetched ? 'processing' : 'network';
    case 'network_error':
    case 'dns_failure':
    case 'too_many_redirects':
      return 'network';
    case 'truncated':
    case 'corrupt':
    case 'max_bytes_unreachable':
    case 'invalid_recipe':
    case 'missing_original':
    case 'internal_error':
      return 'processing';
    case 'fetch_failed':
      return 'other';
    default: {
      const unhandled: never = known;
      return unhandled;
    }
  }
}
