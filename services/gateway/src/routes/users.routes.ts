// User administration.
import { z } from 'zod';
import { hashPassword, NewPassword } from '../auth/passwords';
import { Username } from '../auth/usernames';
import { ConflictError } from '../errors';
import { isUniqueViolation } from '../prisma-errors';
import type { RouteModule } from './route-module';

export const CreateUserBody = z.object({
  username: Username,
  password: NewPassword,
  role: z.enum(['admin', 'user']).default('user'),
});

export const UserSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  role: z.enum(['admin', 'user']),
  created_at: z.iso.datetime(),
});

export const usersRoutes: RouteModule = ({ deps, api }) => {
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
      const body = CreateUserBody.parse(req.body);
      const passwordHash = await deps.passwordWork.run(() => hashPassword(body.password));
      try {
        const user = await deps.prisma.user.create({
          data: { username: body.username, passwordHash, role: body.role },
        });
        const out: z.input<typeof UserSchema> = {
          id: user.id,
          username: user.username,
          role: user.role,
          created_at: user.createdAt.toISOString(),
        };
        res.status(201).json(out);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`username ${body.username} is taken`);
        throw err;
      }
    },
  );
};
