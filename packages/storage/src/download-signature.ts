// HMAC signatures of local-disk download URLs: what S3's presigning does for the S3 backend.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type DownloadGrant = { key: string; exp: number; filename?: string; contentType?: string };

export class DownloadSignatureError extends Error {
  override readonly name = 'DownloadSignatureError';
  constructor(
    readonly reason: 'invalid' | 'expired',
    message: string,
  ) {
    super(message);
  }
}

// JSON of a fixed-order array: no choice of key, name or type can make two different grants sign the same bytes.
// The content type is signed as well as the name: an unsigned one would let anyone serve our files as text/html.
const payload = (g: DownloadGrant) =>
  JSON.stringify(['pixmill-download-v1', g.key, g.exp, g.filename ?? null, g.contentType ?? null]);

export function signDownload(secret: string, grant: DownloadGrant): string {
  return createHmac('sha256', secret).update(payload(grant)).digest('hex');
}

export function verifyDownload(secret: string, grant: DownloadGrant, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signDownload(secret, grant), 'hex'), Buffer.from(signature, 'hex'));
}
