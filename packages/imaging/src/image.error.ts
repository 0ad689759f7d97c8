// Why an image could not be processed, as a small closed set of codes callers can store and show.
import { endsEarly } from './ends-early';
import type { ImageFormat } from './image-format';

export type ImageErrorCode =
  'not_an_image' | 'unsupported_format' | 'pixel_limit' | 'truncated' | 'corrupt' | 'timeout' | 'max_bytes_unreachable';

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Turns what sharp/libvips threw into an ImageError. Sharp's own argument checks ("Expected ...") are our bugs,
 * not the image's fault, so they pass through unchanged; any other decode failure is the input's. `input` is what
 * was decoded, already known by its magic bytes to be `format`: then a decode failure is `truncated` when the file
 * stops before its format says it ends, else `corrupt` (also when libvips calls the data "unsupported": the first
 * bytes said otherwise).
 */
export function toImageError(err: unknown, input?: { format: ImageFormat; data: Buffer }): unknown {
  if (err instanceof ImageError || !(err instanceof Error)) return err;
  const m = err.message;
  if (/^Expected /.test(m)) return err;
  if (/exceeds pixel limit/i.test(m)) return new ImageError('pixel_limit', `image is too large: ${m}`, { cause: err });
  if (/^timeout: \d+% complete/i.test(m))
    return new ImageError('timeout', `image processing timed out (${m})`, { cause: err });
  if (!input) {
    if (/unsupported image format/i.test(m))
      return new ImageError('not_an_image', 'the file is not an image', { cause: err });
    return new ImageError('corrupt', `image data is corrupt: ${m.trim()}`, { cause: err });
  }
  const what = `the ${input.format.toUpperCase()} data`;
  if (endsEarly(input.format, input.data))
    return new ImageError('truncated', `${what} ends early (the file is truncated): ${m.trim()}`, { cause: err });
  return new ImageError('corrupt', `${what} is corrupt: ${m.trim()}`, { cause: err });
}

/** The first line of what libvips throws when failOn turned a warning into an error; the warnings follow it. */
const WARNING_AS_ERROR = 'Warning treated as error due to failOn setting';
/** libtiff's warnings about a tag it could not read (and ignored): the image data itself is fine. */
const METADATA_WARNING =
  /\btag\b.*\b(ignored|trimmed)\b|unknown field with tag|does not end in null byte|tags are not sorted in ascending order/i;
/** What libvips adds after the warnings when a tile's decode stopped because of them. */
const CONSEQUENCE = /^error in tile \d+ x \d+$/;

/** True when sharp failed only because failOn 'warning' met warnings about metadata, none about the pixels. */
export function onlyMetadataWarnings(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const [first, ...rest] = err.message.split('\n').map((l) => l.trim());
  const warnings = rest.filter((l) => l !== '' && !CONSEQUENCE.test(l));
  return first === WARNING_AS_ERROR && warnings.length > 0 && warnings.every((l) => METADATA_WARNING.test(l));
}
