// Header values built from user-supplied names and types: nothing in them may break out of the header.

// C0/C1 controls (CR, LF, NUL...), Unicode line separators and bidi overrides that can disguise an extension.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_NAME_CHARS = 200;

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 / 5987).
 * Control characters are dropped, path separators, quotes and backslashes replaced, so the value is always one
 * well-formed header line whatever the name was.
 */
export function contentDisposition(filename?: string): string {
  const clean = cleanFilename(filename ?? '');
  if (clean === '') return 'attachment';
  const ascii = clean.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  if (ascii === clean) return `attachment; filename="${ascii}"`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(clean)}`;
}

function cleanFilename(name: string): string {
  const cleaned = name.replace(LONE_SURROGATE, '\uFFFD').replace(UNSAFE_CHARS, '').replace(/[/\\]/g, '_').trim();
  return Array.from(cleaned).slice(0, MAX_NAME_CHARS).join('');
}

const encodeRfc5987 = (s: string) =>
  encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// type "/" subtype, then optional parameters; token characters per RFC 9110.
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

/** Refuses a Content-Type that is not a plain media type (it ends up verbatim in a response header). */
export function assertContentType(contentType: string): void {
  if (contentType.length > 200 || !CONTENT_TYPE.test(contentType)) {
    throw new TypeError(`invalid content type ${JSON.stringify(contentType.slice(0, 100))}`);
  }
}
