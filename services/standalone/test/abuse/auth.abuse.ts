// Forged, stale and stolen credentials, and password guessing: every one is a 401 (or 429 for guessing) JSON error.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { JWT_AUDIENCE, JWT_ISSUER } from '@pixmill/gateway/testing';
import { jsonError } from './support/cases';
import { startAbuse, type Abuse, type Auth } from './support/harness';
import { readData } from '@pixmill/gateway/testing';

const fromGateway = createRequire(require.resolve('@pixmill/gateway/package.json'));
// jsonwebtoken is the gateway's dependency, not this package's: borrowed, with the one call used here typed.
const jwt = fromGateway('jsonwebtoken') as {
  sign(payload: object, key: string | KeyObject, o: { algorithm: 'HS256' | 'HS512' | 'RS256' }): string;
};

const LOGIN_LIMIT = 10;
/** Failed logins per address across usernames: above the 14 the other cases make from loopback in a minute (the
 * spraying case comes from an address of its own). */
const SPRAY_LIMIT = 16;
/** The sprayer, as the trusted proxy (loopback here) forwards it: a header value, nothing is sent there. */
const SPRAYER = '192.0.2.44';

let a: Abuse;
let secret: string;
let alice: Auth;
let aliceId: string;

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Claims as the gateway issues them, with any replaced (`undefined` drops one). */
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const all: Record<string, unknown> = {
    sub: aliceId,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat: now(),
    exp: now() + 600,
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

const sign = (payload: Record<string, unknown>, key = secret, algorithm: 'HS256' | 'HS512' = 'HS256') =>
  jwt.sign(payload, key, { algorithm });

const me = async (headers: Record<string, string>) => jsonError(await a.p.api('/api/v1/me', { headers }));
const bearer = (token: string) => me({ Authorization: `Bearer ${token}` });

async function createUser(username: string, password: string): Promise<string> {
  const res = await a.postJson('/api/v1/users', { username, password, role: 'user' }, await a.p.userAuth('admin'));
  if (res.status !== 201) throw new Error(`create ${username}: ${res.status}`);
  return ((await readData(res)) as { id: string }).id;
}

async function login(username: string, password: string): Promise<Response> {
  return a.postJson('/api/v1/auth/login', { username, password });
}

async function apiKey(auth: Auth): Promise<{ id: string; key: string }> {
  const res = await a.postJson('/api/v1/api-keys', { name: 'abuse' }, auth);
  return (await readData(res)) as { id: string; key: string };
}

beforeAll(async () => {
  a = await startAbuse('auth', {
    LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT),
    LOGIN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: String(SPRAY_LIMIT),
    TRUST_PROXY: 'loopback',
  });
  secret = a.p.settings.JWT_SECRET!;
  alice = await a.p.userAuth('alice');
  aliceId = ((await readData(await a.p.api('/api/v1/me', { auth: alice }))) as { id: string }).id;
});
afterAll(() => a?.close());

describe('login tokens', () => {
  it('a valid token works (control)', async () => {
    await a.cases.check('control: a token as issued is accepted', '200 for /me', async () => {
      const res = await a.p.api('/api/v1/me', { auth: alice });
      return `${res.status} for /me`;
    });
  });

  const refused = (name: string, token: () => string) =>
    it(name, async () => {
      await a.cases.check(name, '401 unauthorized', () => bearer(token()));
    });

  refused('no credentials at all', () => '');
  it('Basic credentials instead of a bearer token', async () => {
    await a.cases.check('Authorization: Basic', '401 unauthorized', () =>
      me({ Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }),
    );
  });
  refused('alg: none, unsigned', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`);
  refused('alg: "NoNe", unsigned', () => `${b64url({ alg: 'NoNe', typ: 'JWT' })}.${b64url(claims())}.`);
  refused('alg: none with the signature of a real token', () => {
    const real = sign(claims());
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.${real.split('.')[2]}`;
  });
  refused('HS256 signed with a guessed secret ("secret")', () => sign(claims(), 'secret'));
  refused('HS256 signed with a guessed secret ("pixmill")', () => sign(claims(), 'pixmill'));
  refused('HS512 signed with the real secret (algorithm pinned)', () => sign(claims(), secret, 'HS512'));
  refused('RS256 signed with an attacker key', () =>
    jwt.sign(claims(), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { algorithm: 'RS256' }),
  );
  refused('expired a minute ago', () => sign(claims({ iat: now() - 3600, exp: now() - 60 })));
  refused('no exp claim', () => sign(claims({ exp: undefined })));
  refused('foreign aud', () => sign(claims({ aud: 'some-other-api' })));
  refused('foreign iss', () => sign(claims({ iss: 'https://login.example' })));
  refused('no aud or iss', () => sign(claims({ aud: undefined, iss: undefined })));
  refused('sub of a user that never existed', () => sign(claims({ sub: '00000000-0000-4000-8000-000000000000' })));
  refused('sub that is not a user id', () => sign(claims({ sub: "' OR 1=1 --" })));
  refused('payload tampered (sub changed, signature kept)', () => {
    const [h, , s] = sign(claims({ sub: '11111111-1111-4111-8111-111111111111' })).split('.');
    return `${h}.${b64url(claims())}.${s}`;
  });

  it('a token of a deleted user', async () => {
    await a.cases.check('token of a user deleted since it was issued', '401 unauthorized', async () => {
      const id = await createUser('dora', 'dora-password-1');
      const token = ((await readData(await login('dora', 'dora-password-1'))) as { access_token: string }).access_token;
      await a.p.db.user.update({ where: { id }, data: { deletedAt: new Date() } });
      return bearer(token);
    });
  });
});

describe('API keys', () => {
  it('a revoked key', async () => {
    await a.cases.check('revoked API key (Bearer)', '401 unauthorized', async () => {
      const { id, key } = await apiKey(alice);
      const del = await a.p.api(`/api/v1/api-keys/${id}`, { method: 'DELETE', auth: alice });
      if (del.status !== 204) return `revoke answered ${del.status}`;
      return bearer(key);
    });
  });

  it('a revoked key in X-API-Key', async () => {
    await a.cases.check('revoked API key (X-API-Key)', '401 unauthorized', async () => {
      const { id, key } = await apiKey(alice);
      await a.p.api(`/api/v1/api-keys/${id}`, { method: 'DELETE', auth: alice });
      return me({ 'X-API-Key': key });
    });
  });

  it('a key of a deleted user', async () => {
    await a.cases.check('API key of a deleted user', '401 unauthorized', async () => {
      const id = await createUser('erin', 'erin-password-1');
      const token = ((await readData(await login('erin', 'erin-password-1'))) as { access_token: string }).access_token;
      const { key } = await apiKey({ Authorization: `Bearer ${token}` });
      await a.p.db.user.update({ where: { id }, data: { deletedAt: new Date() } });
      return bearer(key);
    });
  });

  it('a guessed key of the right shape', async () => {
    await a.cases.check('made-up key pmk_ + 43 characters', '401 unauthorized', () => bearer(`pmk_${'A'.repeat(43)}`));
  });
});

describe('password guessing', () => {
  it('is limited per address and username', async () => {
    await createUser('frank', 'frank-password-1');
    await a.cases.check(
      `brute-force login: ${LOGIN_LIMIT + 1} wrong passwords`,
      `${LOGIN_LIMIT} x 401, then 429 rate_limited with Retry-After`,
      async () => {
        const statuses: number[] = [];
        for (let i = 0; i < LOGIN_LIMIT; i++) statuses.push((await login('frank', `guess-${i}`)).status);
        const last = await login('frank', 'guess-last');
        const wrong = statuses.filter((s) => s === 401).length;
        return `${wrong} x 401, then ${await jsonError(last)}${last.headers.get('retry-after') ? ' with Retry-After' : ''}`;
      },
    );
  });

  it('refuses even the right password while limited', async () => {
    await a.cases.check('right password during the lockout', '429 rate_limited', async () =>
      jsonError(await login('frank', 'frank-password-1')),
    );
  });

  it('does not reset the budget for another spelling of the name', async () => {
    await a.cases.check('same user as " FRANK " during the lockout', '429 rate_limited', async () =>
      jsonError(await login(' FRANK ', 'frank-password-1')),
    );
  });

  it('refuses a password longer than bcrypt reads', async () => {
    await a.cases.check('100 KB password at login', '400 validation_error', async () =>
      jsonError(await login('alice', 'p'.repeat(100 * 1024))),
    );
  });

  it('is limited per address across usernames (password spraying)', async () => {
    await a.cases.check(
      `password spraying: ${SPRAY_LIMIT + 5} usernames, one password, one address`,
      `only 401 then 429 rate_limited with Retry-After, at most ${SPRAY_LIMIT} x 401`,
      async () => {
        const answers: Response[] = [];
        for (let i = 0; i < SPRAY_LIMIT + 5; i++)
          answers.push(
            await a.p.api('/api/v1/auth/login', {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-forwarded-for': SPRAYER },
              body: JSON.stringify({ username: `sprayed-${i}`, password: 'Winter2026!' }),
            }),
          );
        const statuses = answers.map((r) => r.status);
        const firstRefused = statuses.indexOf(429);
        const ordered = firstRefused > 0 && statuses.every((s, i) => s === (i < firstRefused ? 401 : 429));
        const last = answers[answers.length - 1]!;
        const retry = last.headers.get('retry-after') ? ' with Retry-After' : '';
        const within = firstRefused <= SPRAY_LIMIT ? `at most ${SPRAY_LIMIT}` : `${firstRefused}`;
        return ordered
          ? `only 401 then ${await jsonError(last)}${retry}, ${within} x 401`
          : `statuses in order: ${statuses.join(',')}`;
      },
    );
  });
});
