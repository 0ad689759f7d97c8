// JSON bodies: a size cap (express.json) and a nesting cap. JSON.parse copes with deep nesting but recursive code
// after it (zod, Prisma, loggers) may not, and no pixmill body is more than a few levels deep.
import express, { type RequestHandler } from 'express';
import { ValidationError } from '../errors';

export const DEFAULT_JSON_LIMIT = 1024 * 1024;
export const MAX_JSON_DEPTH = 32;

/** Iterative, so a hostile body cannot overflow the stack while being measured. */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** How much of a refused body is read and dropped so the client, still sending, gets the answer and not a reset. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

export function jsonBody(limit: number | string = DEFAULT_JSON_LIMIT): RequestHandler[] {
  const parse = express.json({ limit });
  return [
    (req, res, next) =>
      parse(req, res, (err?: unknown) => {
        if (err && !req.complete) {
          // Refused mid-body (too large, a compressed bomb): read the rest away, up to a bound, so the answer is
          // received; a client that keeps sending past it is cut off.
          let drained = 0;
          req.on('data', (chunk: Buffer) => {
            drained += chunk.length;
            if (drained > DRAIN_LIMIT) req.destroy();
          });
          req.resume();
        }
        next(err);
      }),
    (req, _res, next) => {
      if (jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
        return next(
          new ValidationError(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`, undefined, 'invalid_json'),
        );
      }
      next();
    },
  ];
}
