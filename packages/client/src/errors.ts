/** An API answer that is not a success: the error body's `code`, message and details, and the HTTP status. */
export class PixmillError extends Error {
  override readonly name = 'PixmillError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** Reads the error body of a failed answer (`{ success: false, error, code, details }`). */
export function errorOf(status: number, body: unknown): PixmillError {
  const b = (body ?? {}) as { error?: unknown; code?: unknown; details?: unknown };
  const message = typeof b.error === 'string' ? b.error : `HTTP ${status}`;
  return new PixmillError(message, status, typeof b.code === 'string' ? b.code : `http_${status}`, b.details ?? null);
}
