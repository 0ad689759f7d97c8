import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'pmk_';
/** `pmk_` + 32 random bytes in base64url (43 characters). */
const API_KEY_PATTERN = /^pmk_[A-Za-z0-9_-]{43}$/;
/** Characters kept in clear to tell keys apart in listings: `pmk_` + 8, far too few to guess the rest. */
const SHOWN_PREFIX_LENGTH = 12;

export const looksLikeApiKey = (s: string): boolean => API_KEY_PATTERN.test(s);

// SHA-256, not bcrypt: a key is 256 random bits, so nobody can guess it from a fast hash, and lookups by hash
// (unique index) stay a single indexed query on every request. bcrypt's slowness only helps low-entropy secrets.
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export function generateApiKey(): { key: string; prefix: string; keyHash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, SHOWN_PREFIX_LENGTH), keyHash: hashApiKey(key) };
}
