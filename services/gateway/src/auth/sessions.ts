// Browser sign-ins for the dashboard. The cookie carries a random token that the database keeps only hashed (a
// leaked table signs nobody in); each session has its own CSRF token, which the page sends back in `X-CSRF-Token`
// on every state-changing request (see csrf.ts). A session ends at sign-out, after SESSION_IDLE_SECONDS unused, or
// SESSION_TTL_SECONDS after sign-in, whichever comes first; a disabled or deleted user's sessions stop working at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { parseCookie } from 'cookie';
import type { Settings } from '@pixmill/config';
import type { PrismaClient, Session, User } from '@pixmill/db';

export type SessionDb = Pick<PrismaClient, 'session'>;

export type SessionTimes = { ttlSeconds: number; idleSeconds: number };

export const sessionTimes = (s: Pick<Settings, 'SESSION_TTL_SECONDS' | 'SESSION_IDLE_SECONDS'>): SessionTimes => ({
  ttlSeconds: s.SESSION_TTL_SECONDS,
  idleSeconds: s.SESSION_IDLE_SECONDS,
});

/** The cookie's name: `__Host-` pins it to this host, path / and HTTPS (browsers refuse it otherwise). */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-pixmill_session' : 'pixmill_session');

/** lastSeenAt only needs to be good to the minute for the idle timeout; most requests stay read-only. */
const SEEN_RESOLUTION_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Cookies only travel over HTTPS when the request came over it (directly, or through a trusted proxy). */
export const isSecureRequest = (req: Request) => req.secure;

export function sessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const jar = parseCookie(header);
  const value = jar[sessionCookieName(true)] ?? jar[sessionCookieName(false)];
  return value && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
}

export async function createSession(
  db: SessionDb,
  userId: string,
  times: SessionTimes,
  now = new Date(),
): Promise<{ token: string; session: Session }> {
  const token = randomBytes(32).toString('base64url');
  const session = await db.session.create({
    data: {
      userId,
      tokenHash: hashToken(token),
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + times.ttlSeconds * 1000),
    },
  });
  return { token, session };
}

/** The live session of this token with its user, or undefined when there is none (ended, expired, idle, disabled). */
export async function findSession(
  db: SessionDb,
  token: string,
  times: SessionTimes,
  now = new Date(),
): Promise<(Session & { user: User }) | undefined> {
  const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!session) return undefined;
  const idleSince = now.getTime() - session.lastSeenAt.getTime();
  if (session.expiresAt <= now || idleSince > times.idleSeconds * 1000) {
    await db.session.deleteMany({ where: { id: session.id } });
    return undefined;
  }
  if (session.user.deletedAt || session.user.disabledAt) return undefined;
  if (idleSince > SEEN_RESOLUTION_MS) {
    await db.session.updateMany({ where: { id: session.id }, data: { lastSeenAt: now } });
  }
  return session;
}

export async function endSession(db: SessionDb, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

/** Ends every session of a user (disabled, password reset). */
export async function endUserSessions(db: SessionDb, userId: string): Promise<number> {
  return (await db.session.deleteMany({ where: { userId } })).count;
}

/** Removes sessions past their end (housekeeping; a lookup removes its own). */
export async function deleteExpiredSessions(db: SessionDb, times: SessionTimes, now = new Date()): Promise<number> {
  const idleBefore = new Date(now.getTime() - times.idleSeconds * 1000);
  const r = await db.session.deleteMany({
    where: { OR: [{ expiresAt: { lte: now } }, { lastSeenAt: { lt: idleBefore } }] },
  });
  return r.count;
}

export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: Date): void {
  const secure = isSecureRequest(req);
  res.cookie(sessionCookieName(secure), token, {
    httpOnly: true,
    secure,
    sameSite: 'lax',
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(req: Request, res: Response): void {
  const secure = isSecureRequest(req);
  res.clearCookie(sessionCookieName(secure), { httpOnly: true, secure, sameSite: 'lax', path: '/' });
}
