import request from 'supertest';
import { loadSettings } from '@pixmill/config';
import { startGateway, type TestGateway } from './support';

const LISTED = 'https://app.example.com';

describe('CORS', () => {
  let gw: TestGateway;
  let closed: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ settings: { CORS_ORIGINS: [LISTED, 'http://localhost:5173'] } });
    closed = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
    await closed?.close();
  });

  it('lets a listed origin read answers, credentials included, and names the headers it may read', async () => {
    const alice = await gw.createUser();
    const res = await request(gw.app)
      .get('/api/v1/me')
      .set('Origin', LISTED)
      .set('Authorization', `Bearer ${alice.token}`)
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(LISTED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-expose-headers']).toMatch(/X-Polling-Interval/);
    expect(res.headers['access-control-expose-headers']).toMatch(/Retry-After/);
  });

  it('answers a listed origin’s preflight (cors package) before auth, with the methods and headers it may send', async () => {
    const res = await request(gw.app)
      .options('/api/v1/batches')
      .set('Origin', LISTED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, idempotency-key, content-type')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(LISTED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/);
    expect(res.headers['access-control-allow-headers']).toMatch(/X-CSRF-Token/);
  });

  it.each([
    ['an unlisted origin', 'https://evil.example.com'],
    ['a listed host on another scheme', 'http://app.example.com'],
    ['a listed host on another port', 'https://app.example.com:8443'],
    ['a subdomain of a listed origin', 'https://x.app.example.com'],
    ['the literal null origin', 'null'],
  ])('gives %s no CORS headers, on answers and preflights', async (_what, origin) => {
    const alice = await gw.createUser();
    const res = await request(gw.app)
      .get('/api/v1/me')
      .set('Origin', origin)
      .set('Authorization', `Bearer ${alice.token}`);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const pre = await request(gw.app)
      .options('/api/v1/batches')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST');
    expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('gives no origin CORS headers when CORS_ORIGINS is empty (the default)', async () => {
    expect(loadSettings({}).CORS_ORIGINS).toEqual([]);
    const res = await request(closed.app)
      .options('/api/v1/batches')
      .set('Origin', LISTED)
      .set('Access-Control-Request-Method', 'POST');
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });
});
