import bcrypt from 'bcrypt';
import { z } from 'zod';

/** Cost 12: about a quarter second per hash on this class of machine; slow for guessing, fine for logins. */
export const BCRYPT_COST = 12;
/** bcrypt silently ignores bytes after the 72nd, so longer passwords are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 8;

const withinBcryptLimit = (p: string) => Buffer.byteLength(p, 'utf8') <= MAX_PASSWORD_BYTES;
const bcryptLimitMessage = `password must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`;

/** A password offered at login: any length up to bcrypt's limit. */
export const LoginPassword = z.string().min(1).refine(withinBcryptLimit, bcryptLimitMessage);

/** A password being set. */
export const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .refine(withinBcryptLimit, bcryptLimitMessage);

export function hashPassword(password: string): Promise<string> {
  if (!withinBcryptLimit(password)) throw new Error(bcryptLimitMessage);
  return bcrypt.hash(password, BCRYPT_COST);
}

// A real cost-12 hash of a random string nobody knows: checking a login for an unknown user against it takes as
// long as for a real one, so response time doesn't tell which usernames exist.
const DUMMY_HASH = '$2b$12$2Tt44FrUheps59XtRusaJu79wk6FQ82AqsO494kWzw8/u8jnkkF4G';

/** Compares against the user's hash, or the dummy hash when there is no such user; false in that case. */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (!withinBcryptLimit(password)) return false;
  const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
  return ok && hash !== undefined;
}
