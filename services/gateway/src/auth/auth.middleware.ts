// Resolves the caller from `Authorization: Bearer <jwt | pmk_ key>`, `X-API-Key: pmk_...`, or (only when neither is
// sent) the dashboard's session cookie. `authenticate` only identifies (the general rate limit keys on the result);
// `requireAuth` and `requireAdmin` refuse, and `requireAuth` also refuses a cookie-authenticated request that changes
// state without the session's CSRF token. Resolution happens at most once per request.
import type { Request, RequestHandler } from 'express';
import type { PrismaClient } from '@pixmill/db';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { authOf, type AuthContext } from './auth-context';
import { hashApiKey, looksLikeApiKey, API_KEY_PREFIX } from './api-keys';
import { checkCsrf } from './csrf';
import { verifyToken } from './jwt';
import { findSession, sessionToken, type SessionTimes } from './sessions';

export type AuthDb = Pick<PrismaClient, 'user' | 'apiKey' | 'session'>;

type Resolution = { ok: true; auth: AuthContext } | { ok: false; message: string };

/** lastUsedAt is a hint for humans; writing it at most once a minute per key keeps requests read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

const fail = (message: string): Resolution => ({ ok: false, message });
const INVALID = 'invalid or expired credentials';

type Credentials = { kind: 'jwt' | 'api_key' | 'session'; value: string } | { error: string } | undefined;

function credentials(req: Request): Credentials {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) return { error: 'Authorization must be "Bearer <token or API key>"' };
    const value = m[1]!;
    return { kind: value.startsWith(API_KEY_PREFIX) ? 'api_key' : 'jwt', value };
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string') return { kind: 'api_key', value: key.trim() };
  const session = sessionToken(req);
  if (session) return { kind: 'session', value: session };
  return undefined;
}

type ResolveDeps = { db: AuthDb; jwtSecret: string; sessions: SessionTimes };

async function resolve(d: ResolveDeps, req: Request): Promise<Resolution> {
  const { db } = d;
  const cred = credentials(req);
  if (!cred) return fail('No token provided');
  if ('error' in cred) return fail(cred.error);

  if (cred.kind === 'session') {
    const session = await findSession(db, cred.value, d.sessions);
    if (!session) return fail('your session has ended; sign in again');
    const { user } = session;
    return {
      ok: true,
      auth: {
        userId: user.id,
        username: user.username,
        role: user.role,
        via: 'session',
        session: { id: session.id, csrfToken: session.csrfToken, expiresAt: session.expiresAt },
      },
    };
  }

  if (cred.kind === 'jwt') {
    const userId = verifyToken(d.jwtSecret, cred.value);
    if (!userId) return fail(INVALID);
    const user = await db.user.findFirst({ where: { id: userId, deletedAt: null, disabledAt: null } });
    if (!user) return fail(INVALID);
    return { ok: true, auth: { userId: user.id, username: user.username, role: user.role, via: 'jwt' } };
  }

  if (!looksLikeApiKey(cred.value)) return fail(INVALID);
  const key = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(cred.value) }, include: { user: true } });
  if (!key || key.revokedAt || key.user.deletedAt || key.user.disabledAt) return fail(INVALID);
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  const { user } = key;
  return {
    ok: true,
    auth: { userId: user.id, username: user.username, role: user.role, via: 'api_key', apiKeyId: key.id },
  };
}

export type AuthMiddleware = {
  /** Sets req.auth when the request carries valid credentials; never refuses. */
  authenticate: RequestHandler;
  /** 401 unless the request carries valid credentials; 403 for a cookie-authenticated change without its CSRF token. */
  requireAuth: RequestHandler;
  /** 403 unless the caller is an admin (use after requireAuth). */
  requireAdmin: RequestHandler;
};

export function createAuthMiddleware(d: ResolveDeps): AuthMiddleware {
  const seen = new WeakMap<Request, Promise<Resolution>>();
  const once = (req: Request): Promise<Resolution> => {
    let p = seen.get(req);
    if (!p) {
      p = resolve(d, req);
      seen.set(req, p);
    }
    return p;
  };
  return {
    authenticate: async (req, _res, next) => {
      const r = await once(req);
      if (r.ok) req.auth = r.auth;
      next();
    },
    requireAuth: async (req, _res, next) => {
      const r = await once(req);
      if (!r.ok) throw new UnauthorizedError(r.message);
      if (r.auth.session) checkCsrf(req, r.auth.session.csrfToken);
      req.auth = r.auth;
      next();
    },
    requireAdmin: (req, _res, next) => {
      if (authOf(req).role !== 'admin') throw new ForbiddenError('only admins may do this');
      next();
    },
  };
}
