// Login tokens: HS256 JWTs. Verification pins the algorithm (no `none`, no RS/HS confusion), and requires expiry,
// issuer and audience, so a token minted for something else is refused.
import jwt from 'jsonwebtoken';
import { z } from 'zod';

export const JWT_ISSUER = 'pixmill';
export const JWT_AUDIENCE = 'pixmill-api';

/** `token` is the same JWT as `access_token`, under the name clients of simpler services read. */
export type TokenResponse = { token: string; access_token: string; token_type: 'Bearer'; expires_in: number };

export function issueToken(secret: string, userId: string, ttlSeconds: number): TokenResponse {
  const access_token = jwt.sign({}, secret, {
    algorithm: 'HS256',
    expiresIn: ttlSeconds,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    subject: userId,
  });
  return { token: access_token, access_token, token_type: 'Bearer', expires_in: ttlSeconds };
}

const Claims = z.object({ sub: z.uuid(), exp: z.number() });

/** The user id the token was issued to, or undefined when the token is not valid now. */
export function verifyToken(secret: string, token: string): string | undefined {
  try {
    const payload = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    // jsonwebtoken accepts a token without `exp` as never expiring; we don't.
    const claims = Claims.safeParse(payload);
    return claims.success ? claims.data.sub : undefined;
  } catch {
    return undefined;
  }
}
