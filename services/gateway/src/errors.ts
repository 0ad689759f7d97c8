// Errors a handler throws to answer with a 4xx; the one error middleware (http/error.middleware.ts) turns them into
// `{ success: false, error: message, code, details, timestamp }`. Anything that is not an HttpError becomes a 500
// without internals.

export abstract class HttpError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends HttpError {
  readonly status = 400;
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'validation_error') {
    super(message, details);
    this.code = code;
  }
}

export class UnauthorizedError extends HttpError {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor(message = 'authentication required', details?: unknown) {
    super(message, details);
  }
}

export class ForbiddenError extends HttpError {
  readonly status = 403;
  readonly code = 'forbidden';
  constructor(message = 'not allowed', details?: unknown) {
    super(message, details);
  }
}

export class NotFoundError extends HttpError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(message = 'not found', details?: unknown) {
    super(message, details);
  }
}

export class ConflictError extends HttpError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** The request was understood but its content cannot be processed (an image that fails to decode...). */
export class UnprocessableError extends HttpError {
  readonly status = 422;
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'unprocessable') {
    super(message, details);
    this.code = code;
  }
}

export class PayloadTooLargeError extends HttpError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

export class TooManyRequestsError extends HttpError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(message = 'too many requests, retry later', details?: unknown) {
    super(message, details);
  }
}

export class ServiceUnavailableError extends HttpError {
  readonly status = 503;
  readonly code = 'unavailable';
}
