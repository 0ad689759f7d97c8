// Seed 004 (../../../../shared/seeds/004_*: "Image Processing System API", JWT-secured CSV processing), run as its
// document is written against `pnpm start` on both configurations: log in at `/api/auth/login` for a `token` → set
// the account's webhook once ("the webhook URL should be provided during the initial setup") → upload a CSV in
// `csvFile` with no webhook of its own → poll `GET /api/status/:requestId` → the completion webhook reaches the
// account's loopback receiver → the output CSV. Every documented field, error message and status code is checked.
import sharp from 'sharp';
import { startReceiver, verifyHmac, verifyStandard, type Receiver } from '@pixmill/notifier/testing';
import { parseCsv } from './support/csv';
import { readData } from '@pixmill/gateway/testing';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { startUrlServer, type UrlServer } from './support/url-server';

type Auth = { Authorization: string };
type Status = { request_status: string; processed_images: number; total_images: number };

describe.each(CONFIGURATIONS)('seed 004 on the %s configuration', (config) => {
  let p: Target;
  let srv: UrlServer;
  let rx: Receiver;
  const user = { username: 'dana', password: 'dana-password-0123' };

  beforeAll(async () => {
    srv = await startUrlServer();
    rx = await startReceiver();
    p = await startTarget(config, { FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port},${rx.host}` });
    const admin = await p.userAuth('admin');
    const made = await p.api('/api/v1/users', {
      method: 'POST',
      auth: admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...user, role: 'user' }),
    });
    expect(made.status).toBe(201);
  }, 240_000);
  afterAll(async () => {
    await p?.close();
    await srv?.close();
    await rx?.close();
  });

  const login = (body: object) =>
    p.api('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const bearer = (token: string): Auth => ({ Authorization: `Bearer ${token}` });

  async function uploadCsv(csv: string, auth?: Auth) {
    const fd = new FormData();
    fd.append('csvFile', new Blob([csv], { type: 'text/csv' }), 'images.csv');
    const res = await p.api('/api/upload', { method: 'POST', body: fd, ...(auth ? { auth } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('login → (setup: the account webhook) → upload csvFile → status → webhook → output CSV', async () => {
    // Login: 200 { token }, a JWT valid for one hour.
    const res = await login(user);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(typeof token).toBe('string');
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    expect(claims.exp - claims.iat).toBe(3600);
    const auth = bearer(token);

    // The initial setup: the account's webhook endpoint, set once through the API (its secret is shown once).
    const setup = await p.api('/api/v1/me/webhook', {
      method: 'PUT',
      auth,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: rx.url('/seed-004') }),
    });
    expect(setup.status).toBe(201);
    const { secret } = await readData<{ secret: string }>(setup);
    expect(secret).toMatch(/^whsec_/);

    // Upload CSV in `csvFile`: { requestId }.
    const csv = `url\n${srv.origin}/img/one-200x150.jpg\n${srv.origin}/img/two-150x200.png\n${srv.origin}/img/three-120x120.webp\n`;
    const up = await uploadCsv(csv, auth);
    expect(up.status).toBeGreaterThanOrEqual(200);
    expect(up.status).toBeLessThan(300);
    expect(typeof up.body.requestId).toBe('string');
    const requestId = up.body.requestId as string;

    // Check Status, polled to the end: request_status, processed_images and total_images, numbers as documented.
    const deadline = Date.now() + 90_000;
    let s: Status;
    for (;;) {
      const r = await p.api(`/api/status/${requestId}`, { auth });
      expect(r.status).toBe(200);
      s = (await r.json()) as Status;
      expect(typeof s.request_status).toBe('string');
      expect(typeof s.processed_images).toBe('number');
      expect(s.total_images).toBe(3);
      if (s.request_status === 'completed' || s.request_status === 'failed') break;
      if (Date.now() > deadline) throw new Error(`request ${requestId} not done: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(s).toMatchObject({ request_status: 'completed', processed_images: 3, total_images: 3 });

    // The webhook, to the account's endpoint, for this request, signed with the account's secret.
    const [hook] = await rx.waitFor('/seed-004', 1, 60_000);
    expect(verifyHmac(secret, hook!.body, hook!.headers['x-webhook-signature'])).toBe(true);
    expect(verifyStandard(secret, hook!.body, hook!.headers)).toBe(true);
    expect(JSON.parse(hook!.body)).toMatchObject({
      request_id: requestId,
      status: 'completed',
      total_images: 3,
      processed_images: 3,
    });

    // After processing, an output CSV with the processed image URLs.
    const out = await p.api(`/api/download/${requestId}`, { auth });
    expect(out.status).toBe(200);
    const rows = parseCsv(await out.text());
    const col = rows[0]!.indexOf('Output Image Urls');
    expect(col).toBeGreaterThan(0);
    const sizes = rows.slice(1).map(async (r) => {
      const img = await fetch(r[col]!);
      expect(img.status).toBe(200);
      const meta = await sharp(Buffer.from(await img.arrayBuffer())).metadata();
      return [meta.width, meta.height];
    });
    expect(await Promise.all(sizes)).toEqual([
      [200, 150],
      [150, 200],
      [120, 120],
    ]);
  }, 180_000);

  it('answers the documented errors: 401 on login, "No token provided", invalid tokens, 400, 404', async () => {
    const wrong = await login({ ...user, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'Invalid username or password' });
    const unknown = await login({ username: 'nobody', password: 'whatever-password' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: 'Invalid username or password' });

    const noToken = await uploadCsv(`url\n${srv.origin}/img/x-10x10.jpg\n`);
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ error: 'No token provided' });
    const statusNoToken = await p.api('/api/status/550e8400-e29b-41d4-a716-446655440000');
    expect(statusNoToken.status).toBe(401);
    expect(await statusNoToken.json()).toMatchObject({ error: 'No token provided' });

    const { token } = (await (await login(user)).json()) as { token: string };
    const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const invalid = await p.api('/api/status/550e8400-e29b-41d4-a716-446655440000', { auth: bearer(forged) });
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toMatchObject({ error: expect.any(String) });

    const auth = bearer(token);
    const missing = await p.api('/api/status/550e8400-e29b-41d4-a716-446655440000', { auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'Request not found' });

    const bad = await uploadCsv('name,price\nshirt,3\n', auth);
    expect(bad.status).toBe(400);
    expect(typeof bad.body.error).toBe('string');
    expect((bad.body.error as string).length).toBeGreaterThan(0);
  }, 60_000);
});
