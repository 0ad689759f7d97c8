// Cross-site request forgery: a request authenticated by the session cookie (which a browser attaches to requests
// other sites make it send) may change state only when it proves it comes from our own page, with the session's CSRF
// token in `X-CSRF-Token` (or, for a plain HTML form that can't set headers, the `_csrf` query parameter). Bearer
// tokens and API keys are never sent by a browser on its own, so they need no such proof.
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from '../errors';

export const CSRF_HEADER = 'X-CSRF-Token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class CsrfError extends HttpError {
  readonly status = 403;
  readonly code = 'csrf_token_invalid';
  constructor() {
    super(`a signed-in browser request that changes something needs the session's CSRF token in ${CSRF_HEADER}`);
  }
}

function sentToken(req: Request): string | undefined {
  const header = req.get(CSRF_HEADER);
  if (header) return header;
  const query = req.query._csrf;
  return typeof query === 'string' ? query : undefined;
}

/** Throws CsrfError unless a state-changing request carries the session's token. */
export function checkCsrf(req: Request, expected: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  const sent = sentToken(req);
  const a = Buffer.from(sent ?? '');
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new CsrfError();
}
