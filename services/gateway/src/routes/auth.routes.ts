// Login (and the short form for clients of simpler services), browser sessions (the dashboard) and "who am I".
import type { Response } from 'express';
import type { User } from '@pixmill/db';
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { CSRF_HEADER } from '../auth/csrf';
import { issueToken } from '../auth/jwt';
import { LoginPassword, verifyPassword } from '../auth/passwords';
import { PasswordWorkBusyError } from '../auth/password-work';
import { clearSessionCookie, createSession, endSession, sessionTimes, setSessionCookie } from '../auth/sessions';
import { normalizeUsername } from '../auth/usernames';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import { loginAddressRateLimit, loginRateLimit } from '../http/rate-limit.middleware';
import type { RouteHandler } from '../http/api-router';
import type { OperationSpec } from '../openapi/registry';
import type { RouteModule } from './route-module';

export const LoginBody = z.object({
  username: z.string().min(1).max(256),
  password: LoginPassword,
});

export const TokenSchema = z.object({
  token: z.string().describe('The bearer token (the same as `access_token`)'),
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until the token expires'),
});

export const MeSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  role: z.enum(['admin', 'user']),
  created_at: z.iso.datetime(),
  authenticated_via: z.enum(['jwt', 'api_key', 'session']),
});

export const SessionSchema = z.object({
  user: z.object({ id: z.uuid(), username: z.string(), role: z.enum(['admin', 'user']) }),
  csrf_token: z.string().describe(`Send it back in ${CSRF_HEADER} on every request that changes something`),
  expires_at: z.iso.datetime().describe('When the session ends at the latest (it also ends when unused for a while)'),
});

export const authRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, settings } = deps;
  // One pair of limiters for both login paths, so the short form doesn't double the budget: attempts per address
  // and username (guessing one password), and failed attempts per address whatever the username (spraying one
  // password over many users).
  const limits = [loginAddressRateLimit(deps), loginRateLimit(deps)];

  /** The user these credentials belong to; 401 otherwise (unknown, wrong password, disabled: one answer). */
  const checkCredentials = async (res: Response, body: z.output<typeof LoginBody>): Promise<User> => {
    const user = await prisma.user.findFirst({
      where: { username: normalizeUsername(body.username), deletedAt: null },
    });
    // Unknown user and wrong password: same work (a bcrypt compare either way, in the same line), same answer.
    let ok: boolean;
    try {
      ok = await deps.passwordWork.run(() => verifyPassword(body.password, user?.passwordHash));
    } catch (err) {
      if (err instanceof PasswordWorkBusyError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
    if (!user || !ok || user.disabledAt) throw new UnauthorizedError('Invalid username or password');
    return user;
  };

  const login: RouteHandler<OperationSpec & { body: typeof LoginBody }> = async (req, res) => {
    const body = req.valid.body;
    const user = await checkCredentials(res, body);
    res.setHeader('Cache-Control', 'no-store');
    res.json(issueToken(deps.jwtSecret, user.id, settings.JWT_TTL_SECONDS));
  };
  const loginSpec = (summary: string) => ({
    summary,
    description:
      `At most ${settings.LOGIN_RATE_LIMIT_PER_MINUTE} attempts a minute per address and username, and ` +
      `${settings.LOGIN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE} failed attempts a minute per address (429 with Retry-After). ` +
      'While the server is checking as many passwords as it allows at once, a login waits briefly, then gets 503 with Retry-After.',
    tags: ['auth'],
    access: 'public' as const,
    body: LoginBody,
    responses: {
      200: { description: 'A bearer token for the Authorization header', schema: TokenSchema },
      401: { description: 'Unknown user or wrong password (indistinguishable)' },
      429: { description: 'Too many attempts from this address (or for this username from it)' },
      503: {
        description: 'Too many logins being checked at once; retry after Retry-After seconds',
        headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
      },
    },
  });
  api.post('/api/v1/auth/login', loginSpec('Log in with username and password'), ...limits, login);
  api.post('/api/auth/login', loginSpec('Short form of POST /api/v1/auth/login'), ...limits, login);

  const { 200: _token, ...loginRefusals } = loginSpec('').responses;
  api.post(
    '/api/v1/auth/session',
    {
      ...loginSpec('Sign in a browser: sets the HttpOnly session cookie'),
      description:
        'For the dashboard and other browser pages. Answers the CSRF token to send back in ' +
        `\`${CSRF_HEADER}\` with every state-changing request that the cookie authenticates. ` +
        `The session ends at sign-out, after ${settings.SESSION_IDLE_SECONDS} s unused, or ` +
        `${settings.SESSION_TTL_SECONDS} s after sign-in. Refused (403) when the browser says the request comes from ` +
        'another site. The login routes’ limits apply, and their budgets are shared.',
      responses: {
        ...loginRefusals,
        201: { description: 'Signed in; `Set-Cookie` carries the session', schema: SessionSchema },
        403: { description: 'Sent from another site' },
      },
      headers: z.object({
        'Sec-Fetch-Site': z
          .string()
          .optional()
          .describe('Set by browsers; anything but `same-origin` or `none` is refused (login CSRF)'),
      }),
    },
    ...limits,
    async (req, res) => {
      // Login CSRF: another site must not sign the browser in to an account of its choosing.
      const site = req.valid.headers['Sec-Fetch-Site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw new ForbiddenError('sign in from pixmill’s own page');
      }
      const user = await checkCredentials(res, req.valid.body);
      const { token, session } = await createSession(prisma, user.id, sessionTimes(settings));
      setSessionCookie(req, res, token, session.expiresAt);
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({
          user: { id: user.id, username: user.username, role: user.role },
          csrf_token: session.csrfToken,
          expires_at: session.expiresAt.toISOString(),
        } satisfies z.input<typeof SessionSchema>);
    },
  );

  api.get(
    '/api/v1/auth/session',
    {
      summary: 'The browser session: who is signed in, and its CSRF token',
      tags: ['auth'],
      access: 'user',
      responses: {
        200: { description: 'The session', schema: SessionSchema },
        404: { description: 'The request is not authenticated by a session cookie' },
      },
    },
    (req, res) => {
      const auth = authOf(req);
      if (!auth.session) throw new NotFoundError('this request carries no session cookie');
      res.set('Cache-Control', 'no-store').json({
        user: { id: auth.userId, username: auth.username, role: auth.role },
        csrf_token: auth.session.csrfToken,
        expires_at: auth.session.expiresAt.toISOString(),
      } satisfies z.input<typeof SessionSchema>);
    },
  );

  api.delete(
    '/api/v1/auth/session',
    {
      summary: 'Sign out: ends the browser session',
      tags: ['auth'],
      access: 'user',
      responses: {
        204: { description: 'Signed out; the cookie is cleared and the session can no longer be used' },
        404: { description: 'The request is not authenticated by a session cookie' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      if (!auth.session) throw new NotFoundError('this request carries no session cookie');
      await endSession(prisma, auth.session.id);
      clearSessionCookie(req, res);
      res.status(204).end();
    },
  );

  api.get(
    '/api/v1/me',
    {
      summary: 'The authenticated user',
      tags: ['auth'],
      access: 'user',
      responses: { 200: { description: 'You', schema: MeSchema } },
    },
    async (req, res) => {
      const auth = authOf(req);
      const user = await prisma.user.findUniqueOrThrow({ where: { id: auth.userId } });
      res.json({
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: user.createdAt.toISOString(),
        authenticated_via: auth.via,
      } satisfies z.input<typeof MeSchema>);
    },
  );
};
