// The one place that turns a thrown error into the error body (`{ success: false, error, code, details, timestamp }`,
// @pixmill/contracts' errorBody), on every route. Clients never see a stack.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { errorBody } from '@pixmill/contracts';
import { HttpError, NotFoundError } from '../errors';
import { isRecordNotFound, isUniqueViolation } from '../prisma-errors';

type Mapped = { status: number; code: string; message: string; details?: unknown; headers?: Record<string, string> };

/** Body-parser errors carry `type` and `status`; their messages are safe to show (`expose`). */
type BodyParserError = Error & { type?: string; status?: number; statusCode?: number; expose?: boolean };

const bodyParserCodes: Record<string, { status: number; code: string; message?: string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'request body is too large' },
  'entity.verify.failed': { status: 400, code: 'invalid_body' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type' },
  'request.aborted': { status: 400, code: 'request_aborted' },
  'request.size.invalid': { status: 400, code: 'invalid_body' },
  'stream.encoding.set': { status: 500, code: 'internal_error' },
  'parameters.too.many': { status: 413, code: 'payload_too_large' },
};

const multerTooLarge = new Set([
  'LIMIT_FILE_SIZE',
  'LIMIT_FILE_COUNT',
  'LIMIT_PART_COUNT',
  'LIMIT_FIELD_COUNT',
  'LIMIT_FIELD_VALUE',
]);

const statusCodes: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

function map(err: unknown): Mapped | undefined {
  if (err instanceof HttpError)
    return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (err instanceof z.core.$ZodError) {
    return {
      status: 400,
      code: 'validation_error',
      message: 'request is invalid',
      details: {
        issues: err.issues.map((i) => ({
          path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
          code: i.code,
          message: i.message,
        })),
      },
    };
  }
  // Routers may let these through: a unique key taken, or the row to change is gone.
  if (isUniqueViolation(err)) return { status: 409, code: 'conflict', message: 'already exists' };
  if (isRecordNotFound(err)) return { status: 404, code: 'not_found', message: 'not found' };
  if (err instanceof multer.MulterError) {
    return {
      status: multerTooLarge.has(err.code) ? 413 : 400,
      code: multerTooLarge.has(err.code) ? 'payload_too_large' : 'invalid_upload',
      message: err.field ? `${err.message} (field ${err.field})` : err.message,
    };
  }
  const e = err as BodyParserError | undefined;
  if (e && typeof e === 'object' && typeof e.type === 'string') {
    const known = bodyParserCodes[e.type];
    if (known)
      return {
        status: known.status,
        code: known.code,
        message: known.message ?? (known.status < 500 ? e.message : 'internal server error'),
      };
  }
  // Other http-errors style 4xx from middleware we use (e.g. a malformed URI in the router, a missing static asset).
  const status = e?.status ?? e?.statusCode;
  if (e && typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false) {
    return { status, code: statusCodes[status] ?? 'bad_request', message: e.message };
  }
  return undefined;
}

export function errorMiddleware(): ErrorRequestHandler {
  return (err, req, res, next) => {
    // Too late to answer with JSON: let Express end the connection.
    if (res.headersSent) return next(err);
    const mapped = map(err);
    if (!mapped) req.log.error({ err }, 'unhandled error');
    const m: Mapped = mapped ?? { status: 500, code: 'internal_error', message: 'internal server error' };
    if (m.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(m.status).json(errorBody(m.code, m.message, m.details));
  };
}

/** Last in the chain: nothing matched. */
export function notFoundMiddleware(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`));
}
