// Who is calling: set on the request by the auth middleware; the one place Express's Request type is augmented.
import type { Request } from 'express';
import { UnauthorizedError } from '../errors';

export type Role = 'admin' | 'user';

export type AuthContext = {
  userId: string;
  username: string;
  role: Role;
  via: 'jwt' | 'api_key' | 'session';
  /** Set when the caller used an API key. */
  apiKeyId?: string;
  /** Set when the caller is a signed-in browser (the dashboard's session cookie). */
  session?: { id: string; csrfToken: string; expiresAt: Date };
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: AuthContext;
    }
  }
}

/** The caller of a route guarded by `access: 'user' | 'admin'`. */
export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
}
