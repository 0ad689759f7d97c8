/** Thrown by a handler when retrying cannot help (bad input, missing row): the message is dead-lettered at once. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Raised by `publish` / `check` when the broker cannot be reached within the short wait; callers (the outbox) retry later. */
export class TransportUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportUnavailableError';
  }
}
