// Setting a user's password from the command line, for an operator locked out of the admin account.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@pixmill/db';
import { hashPassword, NewPassword } from './passwords';
import { normalizeUsername } from './usernames';

export class ResetPasswordError extends Error {}

/**
 * Gives the active user `username` the password `given`, or a generated one when it is undefined (returned so the
 * caller can show it once).
 */
export async function resetPassword(
  prisma: Pick<PrismaClient, 'user'>,
  username: string,
  given: string | undefined,
): Promise<{ username: string; role: string; generatedPassword?: string }> {
  const name = normalizeUsername(username);
  const checked = given === undefined ? undefined : NewPassword.safeParse(given);
  if (checked && !checked.success) throw new ResetPasswordError(checked.error.issues[0]?.message ?? 'bad password');
  const user = await prisma.user.findFirst({ where: { username: name, deletedAt: null } });
  if (!user) {
    const admins = await prisma.user.findMany({
      where: { role: 'admin', deletedAt: null },
      select: { username: true },
    });
    throw new ResetPasswordError(
      `no active user "${name}"; admins: ${admins.map((a) => a.username).join(', ') || 'none (start pixmill once to create one)'}`,
    );
  }
  const password = given ?? randomBytes(18).toString('base64url');
  await prisma.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password) } });
  return { username: name, role: user.role, ...(given === undefined ? { generatedPassword: password } : {}) };
}
