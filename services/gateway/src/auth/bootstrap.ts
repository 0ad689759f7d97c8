// First start: an admin account, and the JWT secret when running embedded with none configured.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type Settings } from '@pixmill/config';
import type { PrismaClient } from '@pixmill/db';
import { isUniqueViolation } from '../prisma-errors';
import { hashPassword, MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from './passwords';
import { normalizeUsername, USERNAME_PATTERN } from './usernames';

export type BootstrapDb = Pick<PrismaClient, 'user'>;

/**
 * Creates the admin (ADMIN_USERNAME / ADMIN_PASSWORD) when no admin exists yet; generates a password when
 * ADMIN_PASSWORD is unset and returns it so the caller can print it once. Returns null when there was nothing
 * to do. Safe to run from several replicas at once: the unique username decides who creates it.
 */
export async function ensureAdmin(
  prisma: BootstrapDb,
  settings: Pick<Settings, 'ADMIN_USERNAME' | 'ADMIN_PASSWORD'>,
): Promise<{ username: string; generatedPassword?: string } | null> {
  const username = normalizeUsername(settings.ADMIN_USERNAME);
  if (!USERNAME_PATTERN.test(username)) {
    throw new ConfigError([
      { setting: 'ADMIN_USERNAME', message: 'must be 3-32 characters: a-z, 0-9, ".", "_" or "-"' },
    ]);
  }
  const given = settings.ADMIN_PASSWORD;
  if (given !== undefined && (given.length < MIN_PASSWORD_LENGTH || Buffer.byteLength(given) > MAX_PASSWORD_BYTES)) {
    throw new ConfigError([
      {
        setting: 'ADMIN_PASSWORD',
        message: `must be ${MIN_PASSWORD_LENGTH} characters to ${MAX_PASSWORD_BYTES} bytes`,
      },
    ]);
  }

  if (await prisma.user.findFirst({ where: { role: 'admin', deletedAt: null }, select: { id: true } })) return null;

  const password = given ?? randomBytes(18).toString('base64url');
  try {
    await prisma.user.create({ data: { username, passwordHash: await hashPassword(password), role: 'admin' } });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Another replica created it first; or the name belongs to someone who is not an admin, which we must not
    // silently accept (there would be no admin at all).
    if (await prisma.user.findFirst({ where: { username, role: 'admin', deletedAt: null }, select: { id: true } }))
      return null;
    throw new ConfigError([
      {
        setting: 'ADMIN_USERNAME',
        message: `user "${username}" exists but is not an active admin; choose another name`,
      },
    ]);
  }
  return given === undefined ? { username, generatedPassword: password } : { username };
}

export const JWT_SECRET_FILE = 'jwt-secret';
const MIN_SECRET_BYTES = 32;

/**
 * The HS256 secret: JWT_SECRET when set (config has checked its length). Otherwise, only in embedded mode, a
 * random secret generated once into `<DATA_DIR>/jwt-secret` (mode 0600) so tokens survive restarts. Separate
 * deployments must share one explicit secret, so they refuse to start without it.
 */
export function resolveJwtSecret(
  settings: Pick<Settings, 'JWT_SECRET' | 'DATA_DIR'>,
  o: { embedded: boolean },
): string {
  if (settings.JWT_SECRET) return settings.JWT_SECRET;
  if (!o.embedded) {
    throw new ConfigError([
      {
        setting: 'JWT_SECRET',
        message: `required (at least ${MIN_SECRET_BYTES} bytes) when the gateway runs on its own`,
      },
    ]);
  }
  const file = path.resolve(settings.DATA_DIR, JWT_SECRET_FILE);
  const existing = readSecret(file);
  if (existing !== undefined) return existing;

  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  // Written whole to a private temp file, then hard-linked into place: link never replaces an existing file, so
  // two processes starting together agree on one secret, and nobody reads a half-written one.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, secret + '\n', { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readSecret(file) ?? failCorrupt(file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const secret = text.trim();
  return Buffer.byteLength(secret) >= MIN_SECRET_BYTES ? secret : failCorrupt(file);
}

function failCorrupt(file: string): never {
  throw new ConfigError([
    {
      setting: 'JWT_SECRET',
      message: `unset, and ${file} holds no usable secret (under ${MIN_SECRET_BYTES} bytes); set JWT_SECRET or delete the file`,
    },
  ]);
}
