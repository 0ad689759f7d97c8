// Wraps what a route's handlers send with `res.json` in the success envelope (`{ success, data, message?, timestamp }`),
// so handlers answer their data and the envelope is applied once, by the router (http/api-router.ts). A handler with
// a note for the client sets `res.locals.message` before answering.
import type { RequestHandler } from 'express';
import { successBody } from '@pixmill/contracts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The success envelope's `message`, when a handler has one. */
      message?: string;
    }
  }
}

export function envelopeJson(): RequestHandler {
  return (_req, res, next) => {
    const json = res.json.bind(res);
    // An error is answered by the error middleware in its own shape (http/error.middleware.ts), on the same `res`.
    res.json = (body: unknown) => (res.statusCode >= 400 ? json(body) : json(successBody(body, res.locals.message)));
    next();
  };
}
