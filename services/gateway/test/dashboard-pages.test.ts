import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import sharp from 'sharp';
import { dashboardAssets } from '../src/pages/dashboard-assets';
import { safeNext } from '../src/pages/safe-next';
import { seedBatch } from './batch-fixtures';
import { dataOf, startGateway, type TestGateway, type TestUser } from './support';

const SHELL = '<!doctype html><html lang="en"><title>pixmill</title><div id="app"></div></html>';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('web pages', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'pixmill-dist-'));
    writeFileSync(path.join(dist, 'index.html'), SHELL);
    gw = await startGateway({ app: { dashboard: dashboardAssets(dist) } });
    [alice, bob, admin] = await Promise.all([gw.createUser('user'), gw.createUser('user'), gw.createUser('admin')]);
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  async function session(u: TestUser) {
    const res = await request(gw.app)
      .post('/api/v1/auth/session')
      .send({ username: u.username, password: u.password })
      .expect(201);
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
    return { cookie: line.split(';')[0]!, csrf: dataOf(res).csrf_token as string };
  }
  const page = (p: string, cookie?: string) => {
    const r = request(gw.app).get(p).set('Accept', HTML);
    return cookie ? r.set('Cookie', cookie) : r;
  };

  it('sends a browser without a session to sign in, keeping where it was going', async () => {
    for (const p of ['/', '/new', '/system/status', '/admin', '/batch/x?y=1']) {
      const res = await page(p).expect(303);
      expect(res.headers.location).toBe(`/signin?next=${encodeURIComponent(p)}`);
    }
    const signin = await page('/signin').expect(200);
    expect(signin.text).toBe(SHELL);
  });

  it('serves the shell with a CSP that allows no inline or foreign script and no framing', async () => {
    const { cookie } = await session(alice);
    const res = await page('/', cookie).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const csp = String(res.headers['content-security-policy']);
    const directives = Object.fromEntries(csp.split(';').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers 404 for a batch page that is not yours (the shell, no data), 200 for yours and for an admin', async () => {
    const own = await seedBatch(gw, alice.id, { name: 'Alice secret batch' });
    const a = await session(alice);
    const b = await session(bob);
    const ad = await session(admin);
    await page(`/batch/${own.id}`, a.cookie).expect(200);
    await page(`/batch/${own.id}`, ad.cookie).expect(200);
    const other = await page(`/batch/${own.id}`, b.cookie).expect(404);
    expect(other.text).toBe(SHELL);
    expect(other.text).not.toContain('Alice secret batch');
    await page('/batch/not-a-uuid', b.cookie).expect(404);
  });

  it('answers 403 for the admin page to a user, 200 to an admin', async () => {
    await page('/admin', (await session(alice)).cookie).expect(403);
    await page('/admin', (await session(admin)).cookie).expect(200);
  });

  it('sends a signed-in browser from the sign-in page to `next` only when it is a page of this site', async () => {
    const { cookie } = await session(alice);
    const cases: [string, string][] = [
      ['/batch/abc?x=1#top', '/batch/abc?x=1#top'],
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['javascript:alert(1)', '/'],
      ['/%0d%0aSet-Cookie:x=1', '/%0d%0aSet-Cookie:x=1'],
    ];
    for (const [next, location] of cases) {
      const res = await page(`/signin?next=${encodeURIComponent(next)}`, cookie).expect(303);
      expect({ next, location: res.headers.location }).toEqual({ next, location });
    }
  });

  it('leaves API clients asking for JSON to the API (a JSON 404 here, not a redirect)', async () => {
    const res = await request(gw.app).get('/').set('Accept', 'application/json').expect(404);
    expect(res.headers['content-type']).toMatch(/json/);
  });

  it('sends the export links of the pages to the API routes, which the session authenticates', async () => {
    const own = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    const { cookie } = await session(alice);
    const exp = await request(gw.app).get(`/export/batch/${own.id}?format=json`).expect(302);
    expect(exp.headers.location).toBe(`/api/v1/export/batch/${own.id}?format=json`);
    await request(gw.app).get(exp.headers.location!).set('Cookie', cookie).expect(200);
    const tpl = await request(gw.app).get('/export/template?shape=url').expect(302);
    expect(tpl.headers.location).toBe('/api/v1/export/template?shape=url');
    const csv = await request(gw.app).get(tpl.headers.location!).set('Cookie', cookie).expect(200);
    expect(csv.text.split('\n')[0]).toBe('url');
  });

  it('takes the new-batch form as a plain form post (CSRF token in _csrf) and redirects to the batch page', async () => {
    const { cookie, csrf } = await session(alice);
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#446688' } })
      .jpeg()
      .toBuffer();
    const post = () =>
      request(gw.app)
        .post('/upload')
        .set('Cookie', cookie)
        .set('Accept', HTML)
        .field('batch_name', 'From the form')
        .attach('files[]', jpeg, 'form.jpg');
    const refused = await post().expect(403);
    expect(refused.text).toContain('CSRF');
    const res = await post().query({ _csrf: csrf }).expect(303);
    const id = /^\/batch\/([0-9a-f-]{36})$/.exec(res.headers.location ?? '')?.[1];
    expect(id).toBeDefined();
    const batch = await gw.deps.prisma.batch.findUniqueOrThrow({ where: { id: id! } });
    expect([batch.ownerId, batch.name, batch.totalImages]).toEqual([alice.id, 'From the form', 1]);

    // A refusal is a page with the API's message, escaped.
    const bad = await request(gw.app)
      .post('/upload')
      .query({ _csrf: csrf })
      .set('Cookie', cookie)
      .field('recipe', '{"variants":[{"name":"<b>x</b>","format":"nope"}]}')
      .attach('files[]', jpeg, 'form.jpg')
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/html/);
    expect(bad.text).toContain('recipe');
    expect(bad.text).not.toContain('<b>x</b>');
  });
});

describe('safeNext', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/', '/'],
    ['/batch/1', '/batch/1'],
    ['/a?b=c', '/a?b=c'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['https://evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/ok\nLocation: x', '/'],
    ['/\t/evil.example', '/'],
    [['/a', '/b'], '/'],
  ])('safeNext(%j) is %j', (raw, expected) => {
    expect(safeNext(raw)).toBe(expected);
  });
});
