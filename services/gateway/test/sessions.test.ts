import request from 'supertest';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

/** The `name=value` of the session cookie a sign-in answered, and the whole Set-Cookie line. */
function sessionCookie(res: request.Response): { pair: string; line: string } {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = lines.find((l) => /pixmill_session=/.test(l));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(lines)}`);
  return { pair: line.split(';')[0]!, line };
}

describe('browser sessions', () => {
  let gw: TestGateway;
  let alice: TestUser;

  beforeAll(async () => {
    gw = await startGateway({ settings: { SESSION_IDLE_SECONDS: 600, SESSION_TTL_SECONDS: 3600 } });
    alice = await gw.createUser('user');
  });
  afterAll(() => gw?.close());

  const signIn = (o: { username?: string; password?: string } = {}) =>
    request(gw.app)
      .post('/api/v1/auth/session')
      .send({ username: o.username ?? alice.username, password: o.password ?? alice.password });

  it('signs in with an HttpOnly, SameSite=Lax cookie on path / and answers the CSRF token, never the cookie value', async () => {
    const res = await signIn().expect(201);
    const { pair, line } = sessionCookie(res);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    expect(line).not.toMatch(/; Secure/); // plain HTTP here
    expect(dataOf(res)).toEqual({
      user: { id: alice.id, username: alice.username, role: 'user' },
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      expires_at: expect.any(String),
    });
    expect(JSON.stringify(dataOf(res))).not.toContain(pair.split('=')[1]);
    const row = await gw.deps.prisma.session.findFirstOrThrow({ where: { userId: alice.id } });
    expect(row.tokenHash).not.toBe(pair.split('=')[1]); // stored hashed

    const me = await request(gw.app).get('/api/v1/me').set('Cookie', pair).expect(200);
    expect(dataOf(me).authenticated_via).toBe('session');
  });

  it('marks the cookie Secure with the __Host- prefix behind HTTPS', async () => {
    const gw2 = await startGateway({ app: { trustProxy: true } });
    try {
      const u = await gw2.createUser('user');
      const res = await request(gw2.app)
        .post('/api/v1/auth/session')
        .set('X-Forwarded-Proto', 'https')
        .send({ username: u.username, password: u.password })
        .expect(201);
      const { pair, line } = sessionCookie(res);
      expect(line).toMatch(/^__Host-pixmill_session=/);
      expect(line).toMatch(/; Secure/);
      await request(gw2.app).get('/api/v1/me').set('X-Forwarded-Proto', 'https').set('Cookie', pair).expect(200);
    } finally {
      await gw2.close();
    }
  });

  it('refuses a state-changing request the cookie authenticates unless it carries the CSRF token', async () => {
    const res = await signIn().expect(201);
    const { pair } = sessionCookie(res);
    const csrf = dataOf(res).csrf_token as string;
    const create = () => request(gw.app).post('/api/v1/api-keys').set('Cookie', pair).send({ name: 'from the page' });

    const none = await create().expect(403);
    expect(errorOf(none).code).toBe('csrf_token_invalid');
    await create()
      .set('X-CSRF-Token', `${csrf.slice(0, -1)}x`)
      .expect(403);
    // Another session's token is no good either.
    const other = dataOf(await signIn().expect(201)).csrf_token as string;
    await create().set('X-CSRF-Token', other).expect(403);
    expect(await gw.deps.prisma.apiKey.count({ where: { userId: alice.id } })).toBe(0);

    await create().set('X-CSRF-Token', csrf).expect(201);
    // Reads need no token; a bearer token needs none even when a cookie rides along.
    await request(gw.app).get('/api/v1/api-keys').set('Cookie', pair).expect(200);
    await request(gw.app)
      .post('/api/v1/api-keys')
      .set('Cookie', pair)
      .set('Authorization', `Bearer ${alice.token}`)
      .send({ name: 'script' })
      .expect(201);
  });

  it('refuses a sign-in the browser says another site sent (login CSRF)', async () => {
    const res = await signIn().set('Sec-Fetch-Site', 'cross-site').expect(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    await signIn().set('Sec-Fetch-Site', 'same-origin').expect(201);
  });

  it('refuses a wrong password with the same answer as the login route', async () => {
    const res = await signIn({ password: 'not the password' }).expect(401);
    expect(errorOf(res).error).toBe('Invalid username or password');
  });

  it('signs out: the cookie is cleared and the session can no longer be used', async () => {
    const res = await signIn().expect(201);
    const { pair } = sessionCookie(res);
    await request(gw.app).delete('/api/v1/auth/session').set('Cookie', pair).expect(403); // CSRF applies here too
    const out = await request(gw.app)
      .delete('/api/v1/auth/session')
      .set('Cookie', pair)
      .set('X-CSRF-Token', dataOf(res).csrf_token as string)
      .expect(204);
    expect(sessionCookie(out).line).toMatch(/pixmill_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await request(gw.app).get('/api/v1/me').set('Cookie', pair).expect(401);
    expect(errorOf(after).error).toMatch(/session has ended/);
  });

  it('ends a session unused for SESSION_IDLE_SECONDS, and one past SESSION_TTL_SECONDS however active', async () => {
    const idle = sessionCookie(await signIn().expect(201)).pair;
    const old = sessionCookie(await signIn().expect(201)).pair;
    const [a, b] = await gw.deps.prisma.session.findMany({
      where: { userId: alice.id },
      orderBy: { createdAt: 'desc' },
    });
    await gw.deps.prisma.session.update({ where: { id: b!.id }, data: { lastSeenAt: new Date(Date.now() - 601_000) } });
    await gw.deps.prisma.session.update({ where: { id: a!.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await request(gw.app).get('/api/v1/me').set('Cookie', idle).expect(401);
    await request(gw.app).get('/api/v1/me').set('Cookie', old).expect(401);
    // Ended sessions are removed when met.
    expect(await gw.deps.prisma.session.count({ where: { id: { in: [a!.id, b!.id] } } })).toBe(0);
  });

  it('answers the session to its own browser, and 404 to a caller without one', async () => {
    const res = await signIn().expect(201);
    const { pair } = sessionCookie(res);
    const got = await request(gw.app).get('/api/v1/auth/session').set('Cookie', pair).expect(200);
    expect(dataOf(got).csrf_token).toBe(dataOf(res).csrf_token);
    await request(gw.app).get('/api/v1/auth/session').set('Authorization', `Bearer ${alice.token}`).expect(404);
  });
});

describe('disabling users and resetting passwords', () => {
  let gw: TestGateway;
  let admin: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    admin = await gw.createUser('admin');
  });
  afterAll(() => gw?.close());

  const asAdmin = (method: 'get' | 'post', path: string) =>
    request(gw.app)[method](path).set('Authorization', `Bearer ${admin.token}`);

  it('lists users for admins only, with their state', async () => {
    const bob = await gw.createUser('user');
    const list = await asAdmin('get', '/api/v1/users').expect(200);
    expect(dataOf(list).items).toEqual(
      expect.arrayContaining([
        { id: bob.id, username: bob.username, role: 'user', created_at: expect.any(String), disabled_at: null },
      ]),
    );
    await request(gw.app).get('/api/v1/users').set('Authorization', `Bearer ${bob.token}`).expect(403);
  });

  it('refuses a disabled user every way in (login, session, token, API key) until enabled again', async () => {
    const carol = await gw.createUser('user');
    const key = await request(gw.app)
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${carol.token}`)
      .send({ name: 'k' })
      .expect(201);
    const session = sessionCookie(
      await request(gw.app)
        .post('/api/v1/auth/session')
        .send({ username: carol.username, password: carol.password })
        .expect(201),
    ).pair;

    const disabled = await asAdmin('post', `/api/v1/users/${carol.id}/disable`).expect(200);
    expect(dataOf(disabled).disabled_at).toEqual(expect.any(String));
    await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${carol.token}`).expect(401);
    await request(gw.app)
      .get('/api/v1/me')
      .set('X-API-Key', dataOf(key).key as string)
      .expect(401);
    await request(gw.app).get('/api/v1/me').set('Cookie', session).expect(401);
    expect(await gw.deps.prisma.session.count({ where: { userId: carol.id } })).toBe(0);
    const login = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: carol.username, password: carol.password })
      .expect(401);
    expect(errorOf(login).error).toBe('Invalid username or password');

    await asAdmin('post', `/api/v1/users/${carol.id}/enable`).expect(200);
    await request(gw.app)
      .get('/api/v1/me')
      .set('X-API-Key', dataOf(key).key as string)
      .expect(200);
    await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: carol.username, password: carol.password })
      .expect(200);
  });

  it('does not let an admin disable themselves, and answers 404 for unknown users', async () => {
    const self = await asAdmin('post', `/api/v1/users/${admin.id}/disable`).expect(409);
    expect(errorOf(self).error).toMatch(/yourself/);
    await asAdmin('post', '/api/v1/users/00000000-0000-4000-8000-000000000000/disable').expect(404);
    await asAdmin('post', '/api/v1/users/not-a-uuid/enable').expect(404);
  });

  it('resets a password: the new one works, the old one does not, and their sessions end', async () => {
    const dave = await gw.createUser('user');
    const session = sessionCookie(
      await request(gw.app)
        .post('/api/v1/auth/session')
        .send({ username: dave.username, password: dave.password })
        .expect(201),
    ).pair;
    await asAdmin('post', `/api/v1/users/${dave.id}/password`).send({ password: 'short' }).expect(400);
    await asAdmin('post', `/api/v1/users/${dave.id}/password`).send({ password: 'a brand new password' }).expect(200);
    await request(gw.app).get('/api/v1/me').set('Cookie', session).expect(401);
    await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: dave.username, password: dave.password })
      .expect(401);
    await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: dave.username, password: 'a brand new password' })
      .expect(200);
  });
});
