import request from 'supertest';
import { z } from 'zod';
import { routeModules, type RouteModule } from '../src';
import { dataOf, errorOf, startGateway, type TestGateway } from './support';

// A route that fails the way a bug would, to see what a client gets.
const explode: RouteModule = ({ api }) =>
  api.get(
    '/api/v1/test-explode',
    { summary: 'test', tags: ['test'], access: 'public', responses: { 500: { description: 'The bug' } } },
    () => {
      throw new Error('connection string postgres://secret@db is wrong');
    },
  );

// A route with a note for the client, and one outside /api/v1.
const noted: RouteModule = ({ api }) => {
  const spec = (status: number, schema: z.ZodType) => ({
    summary: 'test',
    tags: ['test'],
    access: 'public' as const,
    responses: { [status]: { description: 'test', schema } },
  });
  api.post('/api/v1/test-noted', spec(201, z.object({ made: z.number() })), (_req, res) => {
    res.locals.message = 'done, with a note';
    res.status(201).json({ made: 1 });
  });
  api.get('/test-flat', spec(200, z.object({ flat: z.boolean() })), (_req, res) => {
    res.json({ flat: true });
  });
};

describe('HTTP behaviour', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ app: { routes: [...routeModules, explode, noted] } });
  });

  it('wraps /api/v1 answers in the envelope, with the message a handler set, and nothing else', async () => {
    const res = await request(gw.app).post('/api/v1/test-noted').expect(201).expect('Content-Type', /json/);
    expect(res.body).toEqual({
      success: true,
      data: { made: 1 },
      message: 'done, with a note',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Math.abs(Date.parse(res.body.timestamp) - Date.now())).toBeLessThan(60_000);
    expect(dataOf(res)).toEqual({ made: 1 });
    expect((await request(gw.app).get('/test-flat').expect(200)).body).toEqual({ flat: true });
  });
  afterAll(() => gw?.close());

  it('answers an unknown route with a JSON 404', async () => {
    const res = await request(gw.app).get('/api/v1/nope').expect(404).expect('Content-Type', /json/);
    expect(res.body).toEqual({
      success: false,
      error: 'no route for GET /api/v1/nope',
      code: 'not_found',
      details: null,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(errorOf(res).code).toBe('not_found');
    await request(gw.app).delete('/api/v1/me').expect(404);
  });

  it('answers a malformed JSON body with a JSON 400', async () => {
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"username": "a",')
      .expect(400);
    expect(errorOf(res).code).toBe('invalid_json');
  });

  it('refuses a JSON body over 1 MB with 413', async () => {
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: 'a', password: 'b', padding: 'x'.repeat(1024 * 1024) })
      .expect(413);
    expect(errorOf(res).code).toBe('payload_too_large');
  });

  it('refuses absurdly nested JSON', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(`{"username":${deep}}`)
      .expect(400);
    expect(errorOf(res).error).toMatch(/nested deeper/);
  });

  it('hides internals of unexpected errors behind a plain 500', async () => {
    const res = await request(gw.app).get('/api/v1/test-explode').expect(500);
    expect(errorOf(res)).toMatchObject({ error: 'internal server error', code: 'internal_error', details: null });
    expect(res.text).not.toContain('secret');
    expect(res.text).not.toContain('.ts');
  });

  it('keeps a sane X-Request-Id and replaces anything else', async () => {
    const kept = await request(gw.app).get('/healthz').set('X-Request-Id', 'abc-123.DEF:9');
    expect(kept.headers['x-request-id']).toBe('abc-123.DEF:9');
    const replaced = await request(gw.app).get('/healthz').set('X-Request-Id', 'evil\tvalue<script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await request(gw.app).get('/healthz');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await request(gw.app).get('/api/v1/nope');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('rate limits', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ settings: { LOGIN_RATE_LIMIT_PER_MINUTE: 3, RATE_LIMIT_PER_MINUTE: 8 } });
  });
  afterAll(() => gw?.close());

  const login = (path: string, username: string) =>
    request(gw.app).post(path).send({ username, password: 'guess-guess' });

  it('limits login attempts per address and username, across both login paths', async () => {
    await login('/api/v1/auth/login', 'victim').expect(401);
    await login('/api/auth/login', 'victim').expect(401);
    const third = await login('/api/v1/auth/login', 'victim').expect(401);
    expect(third.headers['ratelimit-policy']).toContain('"login"; q=3; w=60');
    const res = await login('/api/v1/auth/login', 'Victim').expect(429);
    expect(errorOf(res).code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers.ratelimit).toContain('"login"; r=0');
    // Another username from the same address still has its own budget.
    await login('/api/v1/auth/login', 'someone-else').expect(401);
    // X-Forwarded-For is not believed by default: a made-up address buys no fresh budget.
    await login('/api/v1/auth/login', 'victim').set('X-Forwarded-For', '203.0.113.9').expect(429);
  });

  it('limits API calls per user, not per address', async () => {
    const [a, b] = await Promise.all([gw.createUser(), gw.createUser()]);
    const me = (token: string) => request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    for (let i = 0; i < 8; i++) await me(a.token).expect(200);
    const res = await me(a.token).expect(429);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.headers['ratelimit-policy']).toContain('"api"; q=8; w=60');
    await me(b.token).expect(200);
  });
});

describe('rate limits behind a trusted proxy (TRUST_PROXY)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    // The test client connects from loopback, which plays the load balancer here.
    gw = await startGateway({ settings: { LOGIN_RATE_LIMIT_PER_MINUTE: 2, TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => gw?.close());

  const login = (clientAddress: string) =>
    request(gw.app)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', clientAddress)
      .send({ username: 'victim', password: 'guess-guess' });

  it('counts each client behind the proxy on its own, by the address the proxy forwarded', async () => {
    await login('198.51.100.1').expect(401);
    await login('198.51.100.1').expect(401);
    await login('198.51.100.1').expect(429);
    // Another client behind the same proxy is not locked out by the first one's attempts.
    await login('198.51.100.2').expect(401);
    // A client prepending its own address is still counted by the hop the proxy added.
    await login('198.51.100.9, 198.51.100.1').expect(429);
  });
});
