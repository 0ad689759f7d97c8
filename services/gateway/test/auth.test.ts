import request from 'supertest';
import {
  dataOf,
  errorOf,
  startGateway,
  signTestToken,
  unsignedToken,
  type TestGateway,
  type TestUser,
} from './support';

describe('login and tokens', () => {
  let gw: TestGateway;
  let alice: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    alice = await gw.createUser('user', { username: 'alice' });
  });
  afterAll(() => gw?.close());

  const me = (token: string) => request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);

  it.each(['/api/v1/auth/login', '/api/auth/login'])(
    'logs in at %s and the token identifies the user',
    async (path) => {
      const res = await request(gw.app).post(path).send({ username: 'alice', password: alice.password }).expect(200);
      // The /api/v1 answer is in the envelope; the short form answers flat, as seed 004 shows.
      const login = path.startsWith('/api/v1/') ? dataOf(res) : res.body;
      expect(login).toEqual({
        token: expect.any(String),
        access_token: login.token,
        token_type: 'Bearer',
        expires_in: gw.deps.settings.JWT_TTL_SECONDS,
      });
      const who = await me(login.token).expect(200);
      expect(dataOf(who)).toMatchObject({ id: alice.id, username: 'alice', role: 'user', authenticated_via: 'jwt' });
    },
  );

  it('takes the username case-insensitively', async () => {
    await request(gw.app).post('/api/v1/auth/login').send({ username: 'ALICE', password: alice.password }).expect(200);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const wrong = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: 'alice', password: 'not-her-password' });
    const unknown = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: 'nobody-here', password: 'whatever-it-is' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect({ ...unknown.body, timestamp: 0 }).toEqual({ ...wrong.body, timestamp: 0 });
    expect(errorOf(wrong)).toMatchObject({
      error: 'Invalid username or password',
      code: 'unauthorized',
      details: null,
    });
  });

  it('refuses passwords over 72 bytes instead of letting bcrypt truncate them', async () => {
    const p72 = 'é'.repeat(36); // 72 bytes in UTF-8
    const bob = await gw.createUser('user', { password: p72 });
    await request(gw.app).post('/api/v1/auth/login').send({ username: bob.username, password: p72 }).expect(200);
    // bcrypt would accept this one (it only reads 72 bytes); we must not.
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: bob.username, password: p72 + 'x' })
      .expect(400);
    expect(errorOf(res).code).toBe('validation_error');
    expect(JSON.stringify(errorOf(res).details)).toContain('72 bytes');
  });

  it('refuses a deleted user at login and with an existing token', async () => {
    const carol = await gw.createUser();
    await me(carol.token).expect(200);
    await gw.deps.prisma.user.update({ where: { id: carol.id }, data: { deletedAt: new Date() } });
    await me(carol.token).expect(401);
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: carol.username, password: carol.password })
      .expect(401);
    expect(errorOf(res).error).toBe('Invalid username or password');
  });

  describe('refuses tokens that are not exactly ours', () => {
    const cases: [string, () => string][] = [
      ['alg none', () => unsignedToken({ sub: alice.id })],
      [
        'expired',
        () =>
          signTestToken({
            sub: alice.id,
            iat: Math.floor(Date.now() / 1000) - 7200,
            exp: Math.floor(Date.now() / 1000) - 60,
          }),
      ],
      ['without exp', () => signTestToken({ sub: alice.id, exp: undefined })],
      ['for another audience', () => signTestToken({ sub: alice.id, aud: 'someone-else' })],
      ['from another issuer', () => signTestToken({ sub: alice.id, iss: 'not-pixmill' })],
      ['signed with a guessed secret', () => signTestToken({ sub: alice.id }, 'secret')],
      ['without a subject', () => signTestToken({})],
      ['for a subject that is not a user id', () => signTestToken({ sub: 'alice' })],
      ['for a user that does not exist', () => signTestToken({ sub: '00000000-0000-4000-8000-000000000000' })],
      ['that is garbage', () => 'not.a.jwt'],
    ];

    it('accepts a well-formed token (control)', async () => {
      await me(signTestToken({ sub: alice.id })).expect(200);
    });

    it.each(cases)('%s → 401', async (_name, make) => {
      const res = await me(make()).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(errorOf(res).code).toBe('unauthorized');
      expect(errorOf(res).error).toBe('invalid or expired credentials');
    });
  });

  it('asks for credentials when there are none, or of an unknown scheme', async () => {
    const none = await request(gw.app).get('/api/v1/me').expect(401);
    expect(errorOf(none)).toMatchObject({ code: 'unauthorized', error: 'No token provided' });
    const short = await request(gw.app).get(`/api/status/${alice.id}`).expect(401);
    expect(errorOf(short)).toMatchObject({ code: 'unauthorized', error: 'No token provided' });
    await request(gw.app)
      .get('/api/v1/me')
      .set('Authorization', `Basic ${Buffer.from('alice:x').toString('base64')}`)
      .expect(401);
  });
});
