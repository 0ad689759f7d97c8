// Why an image could not be processed, as a small closed set of codes callers can store and show.

export type ImageErrorCode =
  'not_an_image' | 'unsupported_format' | 'pixel_limit' | 'corrupt' | 'timeout' | 'max_bytes_unreachable';

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
 * not the image's fault, so they pass through unchanged; any other decode failure is the input's.
 */
export function toImageError(err: unknown): unknown {
  if (err instanceof ImageError || !(err instanceof Error)) return err;
  const m = err.message;
  if (/^Expected /.test(m)) return err;
  if (/exceeds pixel limit/i.test(m)) return new ImageError('pixel_limit', `image is too large: ${m}`, { cause: err });
  if (/^timeout: \d+% complete/i.test(m))
    return new ImageError('timeout', `image processing timed out (${m})`, { cause: err });
  if (/unsupported image format/i.test(m))
    return new ImageError('not_an_image', 'the file is not an image', { cause: err });
  return new ImageError('corrupt', `image data is corrupt or truncated: ${m.trim()}`, { cause: err });
}
