// User administration: create, list, disable and enable, reset a password (admins only).
import { z } from 'zod';
import { isUuid } from '@pixmill/contracts';
import type { User } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { hashPassword, NewPassword } from '../auth/passwords';
import { endUserSessions } from '../auth/sessions';
import { Username } from '../auth/usernames';
import { ConflictError, NotFoundError } from '../errors';
import type { ResponseSpec } from '../openapi/registry';
import { isUniqueViolation } from '../prisma-errors';
import type { RouteModule } from './route-module';

export const CreateUserBody = z.object({
  username: Username,
  password: NewPassword,
  role: z.enum(['admin', 'user']).default('user'),
});
const PasswordBody = z.object({ password: NewPassword });
const UserParams = z.object({ id: z.string() });

export const UserSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  role: z.enum(['admin', 'user']),
  created_at: z.iso.datetime(),
  disabled_at: z.iso.datetime().nullable().describe('Set while the user is disabled: no sign-in, tokens or keys'),
});
const UserList = z.object({ items: z.array(UserSchema) });

const present = (u: User): z.input<typeof UserSchema> => ({
  id: u.id,
  username: u.username,
  role: u.role,
  created_at: u.createdAt.toISOString(),
  disabled_at: u.disabledAt?.toISOString() ?? null,
});

export const usersRoutes: RouteModule = ({ deps, api }) => {
  const { prisma } = deps;
  const findUser = async (id: string) => {
    const user = isUuid(id) ? await prisma.user.findFirst({ where: { id, deletedAt: null } }) : null;
    if (!user) throw new NotFoundError('no such user');
    return user;
  };

  api.post(
    '/api/v1/users',
    {
      summary: 'Create a user',
      tags: ['users'],
      access: 'admin',
      body: CreateUserBody,
      responses: {
        201: { description: 'Created', schema: UserSchema },
        409: { description: 'That username is taken' },
      },
    },
    async (req, res) => {
      const body = req.valid.body;
      const passwordHash = await deps.passwordWork.run(() => hashPassword(body.password));
      try {
        const user = await prisma.user.create({
          data: { username: body.username, passwordHash, role: body.role },
        });
        res.status(201).json(present(user));
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`username ${body.username} is taken`);
        throw err;
      }
    },
  );

  api.get(
    '/api/v1/users',
    {
      summary: 'Every user, by username',
      tags: ['users'],
      access: 'admin',
      responses: { 200: { description: 'The users', schema: UserList } },
    },
    async (_req, res) => {
      const users = await prisma.user.findMany({ where: { deletedAt: null }, orderBy: { username: 'asc' } });
      res.set('Cache-Control', 'no-store').json({ items: users.map(present) });
    },
  );

  const answers: Record<number, ResponseSpec> = {
    200: { description: 'The user', schema: UserSchema },
    404: { description: 'No such user' },
  };
  const setDisabled = (disabled: boolean) =>
    api.post(
      `/api/v1/users/:id/${disabled ? 'disable' : 'enable'}`,
      {
        summary: disabled ? 'Disable a user' : 'Enable a disabled user',
        description: disabled
          ? 'They can no longer sign in; their login tokens, API keys and browser sessions are refused at once (their ' +
            'sessions are ended). Their batches are kept. 409 for your own account.'
          : 'They can sign in again; their API keys work again.',
        tags: ['users'],
        access: 'admin',
        params: UserParams,
        responses: disabled ? { ...answers, 409: { description: 'You can’t disable yourself' } } : answers,
      },
      async (req, res) => {
        const user = await findUser(req.valid.params.id);
        if (disabled && user.id === authOf(req).userId) throw new ConflictError('you can’t disable yourself');
        const updated = await prisma.user.update({
          where: { id: user.id },
          data: { disabledAt: disabled ? (user.disabledAt ?? new Date()) : null },
        });
        if (disabled) await endUserSessions(prisma, user.id);
        res.json(present(updated));
      },
    );
  setDisabled(true);
  setDisabled(false);

  api.post(
    '/api/v1/users/:id/password',
    {
      summary: 'Set a user’s password',
      description: 'Their browser sessions end; login tokens already issued stay valid until they expire.',
      tags: ['users'],
      access: 'admin',
      params: UserParams,
      body: PasswordBody,
      responses: { 200: { description: 'The user', schema: UserSchema }, 404: { description: 'No such user' } },
    },
    async (req, res) => {
      const user = await findUser(req.valid.params.id);
      const { password } = req.valid.body;
      const updated = await prisma.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashPassword(password) },
      });
      await endUserSessions(prisma, user.id);
      res.json(present(updated));
    },
  );
};
