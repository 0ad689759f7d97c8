// Cross-origin access for browser clients on other origins (CORS_ORIGINS): only the exact origins listed get CORS
// headers, credentials (the session cookie) included; every other origin gets none, so its pages cannot read any
// answer. The `cors` package answers preflights.
import type { RequestHandler } from 'express';
import cors from 'cors';
import type { Settings } from '@pixmill/config';

/** Request headers a client of the API sends (auth, idempotency, CSRF, resuming an event stream). */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-API-Key',
  'Idempotency-Key',
  'X-CSRF-Token',
  'Last-Event-ID',
  'X-Request-Id',
];
/** Answer headers a client needs to read (polling pace, backoff, created resources, downloads, budgets). */
const EXPOSED_HEADERS = [
  'X-Polling-Interval',
  'Retry-After',
  'Location',
  'Content-Disposition',
  'RateLimit',
  'RateLimit-Policy',
  'X-Request-Id',
];

export function corsMiddleware(settings: Pick<Settings, 'CORS_ORIGINS'>): RequestHandler {
  const listed = new Set(settings.CORS_ORIGINS);
  if (listed.size === 0) return (_req, _res, next) => next();
  return cors({
    // `false` for an unlisted origin: no CORS headers at all (the answer stays unreadable to its page).
    origin: (origin, done) => done(null, origin !== undefined && listed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
