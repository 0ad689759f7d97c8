// Request budgets per client. The counters live in Redis when REDIS_URL is set (shared by all replicas), else in
// this process's memory, where N replicas each count on their own (N× the setting).
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Settings } from '@pixmill/config';
import type { Logger } from '@pixmill/observability';
import type { RateLimitStores } from './rate-limit-store';
import { normalizeUsername } from '../auth/usernames';
import { TooManyRequestsError } from '../errors';

const MINUTE = 60_000;

// IPv6 clients are grouped by /56, as a single host usually controls a whole prefix.
const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

type LimiterDeps = { settings: Settings; log: Logger; rateLimits?: RateLimitStores | undefined };

function limiter(
  name: string,
  limit: number,
  d: LimiterDeps,
  key: (req: Request) => string,
  o: { failuresOnly?: boolean } = {},
): RequestHandler {
  const log = d.log;
  const store = d.rateLimits?.forLimiter(name);
  return rateLimit({
    ...(store ? { store } : {}),
    // Counted on arrival, given back when the answer is below 400.
    skipSuccessfulRequests: o.failuresOnly ?? false,
    windowMs: MINUTE,
    limit,
    identifier: name,
    // RateLimit and RateLimit-Policy (IETF draft 8; appended, so the API and login budgets both show) and Retry-After on 429.
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => key(req),
    handler: (_req, _res, next) => next(new TooManyRequestsError()),
    logger: {
      error: (err, msg) => log.error({ err }, msg ?? 'rate limiter'),
      warn: (err, msg) => log.warn({ err }, msg ?? 'rate limiter'),
    },
  });
}

/** The general API budget: per user or API key when authenticated (run after `authenticate`), else per address. */
export function apiRateLimit(d: LimiterDeps): RequestHandler {
  return limiter('api', d.settings.RATE_LIMIT_PER_MINUTE, d, (req) => {
    const a = req.auth;
    if (a?.apiKeyId) return `key:${a.apiKeyId}`;
    if (a) return `user:${a.userId}`;
    return `ip:${clientAddress(req)}`;
  });
}

/**
 * Failed login attempts per address across usernames, against password spraying (one password tried on many
 * accounts, which the per-username budget below does not see). Successful logins do not count, so an office behind
 * one address is not locked out by its own users.
 */
export function loginAddressRateLimit(d: LimiterDeps): RequestHandler {
  return limiter('login-address', d.settings.LOGIN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE, d, (req) => clientAddress(req), {
    failuresOnly: true,
  });
}

/** Login attempts per address and username (after the JSON body is parsed), against password guessing. */
export function loginRateLimit(d: LimiterDeps): RequestHandler {
  return limiter('login', d.settings.LOGIN_RATE_LIMIT_PER_MINUTE, d, (req) => {
    const username: unknown = (req.body as { username?: unknown } | undefined)?.username;
    return `${clientAddress(req)}|${typeof username === 'string' ? normalizeUsername(username) : ''}`;
  });
}
