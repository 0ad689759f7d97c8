// Hand-made JWTs for testing what the gateway refuses.
import jwt from 'jsonwebtoken';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/auth/jwt';
import { TEST_JWT_SECRET } from './start-gateway';

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A token signed like the gateway's, with any claim replaced (`undefined` drops it). */
export function signTestToken(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({ iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 600, ...claims }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return jwt.sign(payload, secret, { algorithm: 'HS256' });
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 600, ...claims })}.`;
}
