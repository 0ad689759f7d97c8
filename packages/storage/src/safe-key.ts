// Storage keys are built by our code but often from user-influenced parts; one gate decides what may reach a backend.
import { InvalidKeyError } from './object-store';

const MAX_KEY_BYTES = 1024; // S3's own limit
// File systems stop at 255 bytes a name; the local backend adds up to 22 for its temp and type files.
const MAX_SEGMENT_BYTES = 200;
const ALLOWED = /^[A-Za-z0-9._/=-]+$/;

/** Throws InvalidKeyError unless `key` is a plain relative path of safe characters that means the same on S3 and on disk. */
export function assertSafeKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  if (key.includes('\0')) throw new InvalidKeyError(key, 'contains NUL');
  if (key.includes('\\')) throw new InvalidKeyError(key, 'contains a backslash');
  if (key.startsWith('/')) throw new InvalidKeyError(key, 'starts with /');
  if (!ALLOWED.test(key)) throw new InvalidKeyError(key, 'only A-Z a-z 0-9 . _ / = - are allowed');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidKeyError(key, 'has an empty path segment');
    // '.' is refused too: on disk 'a/./b' is 'a/b', on S3 it is another object.
    if (segment === '..' || segment === '.') throw new InvalidKeyError(key, `has a '${segment}' path segment`);
    if (segment.length > MAX_SEGMENT_BYTES)
      throw new InvalidKeyError(key, `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
}

/** A prefix is a safe key followed by '/', so it can only ever name a whole "folder". */
export function assertSafePrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !prefix.endsWith('/'))
    throw new InvalidKeyError(String(prefix), "a prefix must end with '/'");
  assertSafeKey(prefix.slice(0, -1));
}
