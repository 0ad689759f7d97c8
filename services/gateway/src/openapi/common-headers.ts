// The response headers whole classes of answers carry (the API budget on everything under /api, Retry-After on a 429,
// Location on a redirect, Express's ETag on a GET's body), declared once as components and added to each operation's responses by the
// registry, so each route need not repeat them. A route declares the headers only it sends (Location, X-Polling-Interval).
import { spendsApiBudget } from '../http/api-budget';
import type { HttpMethod, JsonObject } from './registry';

export const headerComponents: Record<string, JsonObject> = {
  RateLimit: {
    description:
      'What is left of the budget (IETF RateLimit header draft 8): `"<policy>"; r=<remaining>; t=<seconds>`.',
    schema: { type: 'string' },
  },
  RateLimitPolicy: {
    description: 'The budget that applies (IETF RateLimit header draft 8): `"<policy>"; q=<requests>; w=<seconds>`.',
    schema: { type: 'string' },
  },
  RetryAfter: { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  Location: { description: 'Where to go next.', required: true, schema: { type: 'string', format: 'uri-reference' } },
  ETag: {
    description: 'Tag of this answer; sent back in If-None-Match, it gets a 304 while the answer is unchanged.',
    schema: { type: 'string' },
  },
};

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The common headers of one response of `method path`, beside the ones the route declares itself. */
export function commonHeaders(method: HttpMethod, path: string, status: number, hasBody: boolean): JsonObject {
  return {
    ...(spendsApiBudget(path) ? { RateLimit: ref('RateLimit'), 'RateLimit-Policy': ref('RateLimitPolicy') } : {}),
    ...(status === 429 ? { 'Retry-After': ref('RetryAfter') } : {}),
    ...(status >= 300 && status < 400 && status !== 304 ? { Location: ref('Location') } : {}),
    ...(method === 'get' && status >= 200 && status < 300 && hasBody ? { ETag: ref('ETag') } : {}),
  };
}
