// Signed links to a batch's results CSV, for readers without an API token (a webhook receiver): the notifier signs,
// the gateway's results route verifies `?token=`. Both hold the JWT secret; the link key is derived from it so a
// link token can never pass as anything else signed with that secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Long enough to outlast the webhook retry schedule (about a day) with room for the receiver to act. */
export const RESULTS_LINK_TTL_SECONDS = 7 * 24 * 3600;

const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const linkKey = (secret: string): Buffer =>
  createHmac('sha256', secret).update('pixmill results link signing').digest();

const mac = (secret: string, batchId: string, exp: number): Buffer =>
  createHmac('sha256', linkKey(secret)).update(`results.csv:${batchId.toLowerCase()}:${exp}`).digest();

/** A token for `GET /api/v1/batches/<batchId>/results.csv?token=…`: `<expiry unix seconds>.<base64url HMAC>`. */
export function signResultsLink(secret: string, batchId: string, o: { ttlSeconds?: number; now?: Date } = {}): string {
  const now = Math.floor((o.now ?? new Date()).getTime() / 1000);
  const exp = now + (o.ttlSeconds ?? RESULTS_LINK_TTL_SECONDS);
  return `${exp}.${mac(secret, batchId, exp).toString('base64url')}`;
}

/** True when `token` was signed for this batch with this secret and has not expired. */
export function verifyResultsLink(secret: string, batchId: string, token: string, now = new Date()): boolean {
  const m = TOKEN.exec(token);
  if (!m) return false;
  const exp = Number(m[1]);
  if (exp <= Math.floor(now.getTime() / 1000)) return false;
  const given = Buffer.from(m[2] as string, 'base64url');
  // Only the canonical spelling: the last character of 32 bytes in base64 carries unused bits, and a token that
  // differs there must not pass for the one that was issued.
  if (given.toString('base64url') !== m[2]) return false;
  const expected = mac(secret, batchId, exp);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Expiry (unix seconds) carried by a token, or undefined when it is not one. */
export function resultsLinkExpiry(token: string): number | undefined {
  const m = TOKEN.exec(token);
  return m ? Number(m[1]) : undefined;
}

/** The full link: `<publicUrl>/api/v1/batches/<id>/results.csv?token=…`. */
export function resultsLinkUrl(
  publicUrl: string,
  secret: string,
  batchId: string,
  o: { ttlSeconds?: number; now?: Date } = {},
): string {
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/api/v1/batches/${batchId}/results.csv?token=${signResultsLink(secret, batchId, o)}`;
}
