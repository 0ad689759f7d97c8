// Login (and the short form for clients of simpler services) and "who am I".
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { issueToken } from '../auth/jwt';
import { LoginPassword, verifyPassword } from '../auth/passwords';
import { normalizeUsername } from '../auth/usernames';
import { UnauthorizedError } from '../errors';
import { PasswordWorkBusyError } from '../auth/password-work';
import { loginAddressRateLimit, loginRateLimit } from '../http/rate-limit.middleware';
import type { RouteModule } from './route-module';

export const LoginBody = z.object({
  username: z.string().min(1).max(256),
  password: LoginPassword,
});

export const TokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until the token expires'),
});

export const MeSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  role: z.enum(['admin', 'user']),
  created_at: z.iso.datetime(),
  authenticated_via: z.enum(['jwt', 'api_key']),
});

export const authRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, settings } = deps;
  // One pair of limiters for both login paths, so the short form doesn't double the budget: attempts per address
  // and username (guessing one password), and failed attempts per address whatever the username (spraying one
  // password over many users).
  const limits = [loginAddressRateLimit(deps), loginRateLimit(deps)];

  const login: RequestHandler = async (req, res) => {
    const body = LoginBody.parse(req.body);
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
    if (!user || !ok) throw new UnauthorizedError('invalid username or password');
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
      503: { description: 'Too many logins being checked at once; retry after Retry-After seconds' },
    },
  });
  api.post('/api/v1/auth/login', loginSpec('Log in with username and password'), ...limits, login);
  api.post('/api/auth/login', loginSpec('Short form of POST /api/v1/auth/login'), ...limits, login);

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
