import { z } from 'zod';

/** Lower-case letters, digits, `.`, `_`, `-`; 3 to 32 characters; starts with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;

/** Usernames are case-insensitive: stored and looked up in lower case. */
export const normalizeUsername = (u: string): string => u.trim().toLowerCase();

export const Username = z
  .string()
  .describe('3-32 characters: a-z, 0-9, ".", "_" or "-", starting with a letter or digit; case-insensitive')
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .regex(
        USERNAME_PATTERN,
        'username must be 3-32 characters: a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
      ),
  );
