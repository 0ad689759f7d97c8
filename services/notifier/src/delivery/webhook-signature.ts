// Signs one delivery attempt: Standard Webhooks headers (through the reference library) and a plain hex HMAC of the
// body for receivers that only want one line of code.
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export class InvalidSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSecretError';
  }
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-webhook-signature': string;
};

/**
 * `webhook-signature` is `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` keyed with the base64-decoded secret (the
 * part after `whsec_`). `x-webhook-signature` is the hex HMAC-SHA256 of the raw body keyed with the secret string
 * exactly as the batch's creator received it (`whsec_…` included).
 */
export function signDelivery(secret: string, eventId: string, body: string, at: Date): SignedHeaders {
  let hook: Webhook;
  try {
    hook = new Webhook(secret);
  } catch (err) {
    throw new InvalidSecretError(`the signing secret is not whsec_ + base64: ${(err as Error).message}`);
  }
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': hook.sign(eventId, at, body),
    'x-webhook-signature': createHmac('sha256', secret).update(body).digest('hex'),
  };
}
