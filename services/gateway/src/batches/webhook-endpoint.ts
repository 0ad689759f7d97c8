// Where a webhook may be sent and how it is signed: the checks and the secret format every webhook endpoint shares,
// a batch's own `webhook_url` and an account's default alike.
import { randomBytes } from 'node:crypto';
import type { Settings } from '@pixmill/config';
import { assertFetchableUrl, FetchError } from '@pixmill/safe-fetch';
import { ValidationError } from '../errors';

/** Longest webhook URL taken (as sent and as normalised): what browsers and proxies reliably carry. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * The URL, normalised, when pixmill may send webhooks to it: http(s), and no private, loopback or link-local address
 * unless FETCH_ALLOW_HOSTS names it (the notifier checks every connection again at delivery).
 */
export async function checkWebhookUrl(
  given: string,
  settings: Pick<Settings, 'FETCH_ALLOW_HOSTS'>,
  field: string,
): Promise<string> {
  const tooLong = (length: number) =>
    new ValidationError(
      `${field}: longer than ${MAX_WEBHOOK_URL_LENGTH} characters`,
      { field, reason: 'too_long', length, limit: MAX_WEBHOOK_URL_LENGTH },
      'invalid_webhook_url',
    );
  if (given.length > MAX_WEBHOOK_URL_LENGTH) throw tooLong(given.length);
  let url: string;
  try {
    url = (await assertFetchableUrl(given, { allowHosts: settings.FETCH_ALLOW_HOSTS })).toString();
  } catch (err) {
    if (err instanceof FetchError)
      throw new ValidationError(`${field}: ${err.message}`, { field, reason: err.code }, 'invalid_webhook_url');
    throw err;
  }
  if (url.length > MAX_WEBHOOK_URL_LENGTH) throw tooLong(url.length);
  return url;
}

/** A fresh signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

// Standard Webhooks secrets are 24 to 64 bytes.
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** A signing secret a user chose, refused (400) unless it is `whsec_` + base64 of 24 to 64 bytes. */
export function checkWebhookSecret(given: string, field: string): string {
  const m = SECRET.exec(given);
  const bytes = m ? Buffer.from(m[1]!, 'base64') : undefined;
  if (
    !bytes ||
    bytes.toString('base64') !== m![1] ||
    bytes.length < MIN_SECRET_BYTES ||
    bytes.length > MAX_SECRET_BYTES
  )
    throw new ValidationError(
      `${field}: expected whsec_ followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes`,
      { field, reason: 'bad_format' },
      'invalid_webhook_secret',
    );
  return given;
}

/** Enough of a secret for its owner to tell which one is set, and no more. */
export const webhookSecretHint = (secret: string): string => `whsec_…${secret.slice(-4)}`;
