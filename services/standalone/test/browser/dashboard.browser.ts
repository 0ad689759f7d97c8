// The web dashboard in a real browser (Debian's Chromium through playwright-core) against the all-in-one process on
// its embedded defaults (embedded database, in-process queue, local disk: nothing configured but a port, a data folder
// and the admin password), as a user would use it. One pixmill for the whole file; each user has a browser context
// of their own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadSettings } from '@pixmill/config';
import { freePort } from '@pixmill/db/testing';
import { findPhotos } from '@pixmill/imaging/testing';
import { startAllInOne, type AllInOne } from '../../src/all-in-one';
import { responseCheckEnv } from '@pixmill/gateway/testing';
import { dataIn, errorIn } from '@pixmill/gateway/testing';
import { checkPage, launchChromium } from './support/browser';

const ADMIN_PASSWORD = 'browser-admin-password-1';

type Json = Record<string, unknown>;

let app: AllInOne;
let base: string;
let browser: Browser;
let dataDir: string;
let slow: { server: Server; url: string; release(): void };
let adminAuth: { Authorization: string };
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

async function api(pathname: string, init: RequestInit & { auth?: { Authorization: string } } = {}) {
  const { auth, headers, ...rest } = init;
  const res = await fetch(`${base}${pathname}`, { ...rest, headers: { ...auth, ...(headers as Json) } as HeadersInit });
  const text = await res.text();
  // Every answer of /api/v1 read here is JSON: the data of the envelope, or the error body, each checked whole.
  const body: Json = res.status < 400 ? dataIn(JSON.parse(text)) : errorIn(JSON.parse(text));
  return { status: res.status, body };
}

async function login(username: string, password: string) {
  const r = await api('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return { Authorization: `Bearer ${String(r.body.access_token)}` };
}

async function createUser(username: string): Promise<{ username: string; password: string }> {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const r = await api('/api/v1/users', {
    method: 'POST',
    auth: adminAuth,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, role: 'user' }),
  });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return { username, password };
}

/** The `n` smallest JPEGs among Debian's wallpaper photographs of at least 1024x700 (previews and icons left out). */
async function smallPhotographs(n: number): Promise<string[]> {
  const bySize = findPhotos(n)
    .filter((p) => /\.jpe?g$/i.test(p))
    .map((p) => ({ p, size: statSync(p).size }))
    .sort((a, b) => a.size - b.size);
  const out: string[] = [];
  for (const { p } of bySize) {
    const m = await sharp(p).metadata();
    if ((m.width ?? 0) >= 1024 && (m.height ?? 0) >= 700) out.push(p);
    if (out.length === n) return out;
  }
  throw new Error(`fewer than ${n} photographs of at least 1024x700`);
}

/** Waits until `check` answers true (the browser and the pipeline work at their own pace). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  // Any script the page did not ship would show up here (an XSS payload running alert(), say).
  // A script error in the page fails the test that caused it (see afterEach).
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.type()} ${d.message()}`);
  });
  return page;
}

async function signIn(page: Page, who: { username: string; password: string }, start = '/') {
  await page.goto(`${base}${start}`);
  await page.waitForURL(/\/signin\?next=/);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname !== '/signin');
}

/** A loopback image server whose `/slow/…` answers wait until released, and whose `/missing/…` answer 404. */
async function startSlowServer(jpeg: Buffer) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/missing/')) return void res.writeHead(404).end('no such image');
    const send = () => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    if (req.url?.startsWith('/slow/')) return void released.then(send);
    send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, release };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-browser-'));
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a6ea5' } })
    .jpeg()
    .toBuffer();
  slow = await startSlowServer(jpeg);
  const port = await freePort();
  app = await startAllInOne(
    loadSettings({
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'silent',
      // Every test signs its users in again, all from one address: more than the default login budget a minute.
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      FETCH_ALLOW_HOSTS: new URL(slow.url).host,
      ...responseCheckEnv(),
    }),
    { quiet: true },
  );
  base = `http://127.0.0.1:${port}`;
  adminAuth = await login('admin', ADMIN_PASSWORD);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  slow?.release();
  slow?.server.close();
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the web dashboard', () => {
  let alice: { username: string; password: string };
  let aliceBatch: string;

  beforeAll(async () => {
    alice = await createUser(`alice-${randomBytes(3).toString('hex')}`);
  });

  it('signs in with a session cookie (HttpOnly, SameSite), returns to the page asked for, and keeps no token in storage', async () => {
    const page = await newPage();
    const unknownBatch = '/batch/00000000-0000-4000-8000-000000000000';
    await page.goto(`${base}${unknownBatch}`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await checkPage(page, 'sign-in');

    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Invalid username or password');

    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}${unknownBatch}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();

    const cookies = await page.context().cookies();
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([
      { name: 'pixmill_session', httpOnly: true, sameSite: 'Lax' },
    ]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)'])(
    'does not redirect off the site after sign-in (next=%s)',
    async (next) => {
      const page = await newPage();
      await page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
      await page.getByLabel('Username').fill(alice.username);
      await page.getByLabel('Password').fill(alice.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/`);
      await page.getByRole('heading', { name: 'Batches' }).waitFor();
    },
  );

  it('uploads three photographs with a two-variant recipe and shows the bar reach 100 % without reloading', async () => {
    const page = await newPage();
    await signIn(page, alice);
    await page.getByRole('link', { name: 'New batch' }).first().click();
    await page.getByRole('heading', { name: 'New batch' }).waitFor();
    await checkPage(page, 'new-batch');

    const photos = await smallPhotographs(3);
    await page.getByLabel('Batch name').fill('Holiday photos');
    await page.getByRole('button', { name: 'Web', exact: true }).click(); // web (fit inside 1600, JPEG) + thumb (400x400 WebP)
    await page.locator('#files').setInputFiles(photos);
    await expect(page.getByRole('list', { name: 'Chosen images' }).getByRole('listitem').count()).resolves.toBe(3);

    // A marker that a reload would wipe: the page must follow the batch by itself.
    await page.evaluate(() => ((window as unknown as Json).__sameDocument = true));
    await page.getByRole('button', { name: 'Create batch' }).click();
    // Each file has its own upload bar while it is sent.
    await page.waitForURL(/\/batch\/[0-9a-f-]{36}$/);
    aliceBatch = new URL(page.url()).pathname.split('/').pop()!;

    // Record every value the bar shows, and when, until it is full.
    await page.evaluate(() => {
      const w = window as unknown as { __seen: { at: number; value: string }[] };
      w.__seen = [];
      const watch = () => {
        const bar = document.querySelector('.progress progress');
        if (!bar) return void requestAnimationFrame(watch);
        const note = () => w.__seen.push({ at: Date.now(), value: bar.getAttribute('value') ?? '' });
        note();
        new MutationObserver(note).observe(bar, { attributes: true, attributeFilter: ['value'] });
      };
      watch();
    });
    await page.locator('.progress .pct', { hasText: '100 %' }).waitFor({ timeout: 120_000 });
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor();
    expect(await page.evaluate(() => (window as unknown as Json).__sameDocument)).toBe(true);
    const seen = await page.evaluate(() => (window as unknown as { __seen: { at: number; value: string }[] }).__seen);
    expect(seen.at(-1)?.value).toBe('100');

    // How soon each image's finish showed on the page (measured, printed; the target is 1 s).
    const images = await api(`/api/v1/batches/${aliceBatch}/images`, {
      auth: await login(alice.username, alice.password),
    });
    const finished = (images.body.items as { processed_at: string }[]).map((i) => Date.parse(i.processed_at)).sort();
    const lags = finished.map((t, i) => {
      const shown = seen.find((s) => Number(s.value) >= ((i + 1) / finished.length) * 100 - 0.1);
      return shown ? shown.at - t : NaN;
    });
    console.log(
      `progress shown after each image finished (ms): ${lags.join(', ')}; bar values seen: ${seen.map((s) => s.value).join(' → ')}`,
    );

    // Three thumbnails, each a loaded image.
    const thumbs = page.getByRole('list', { name: 'Images' }).locator('img');
    await expect(thumbs.count()).resolves.toBe(3);
    for (const t of await thumbs.all()) {
      await t.scrollIntoViewIfNeeded();
      await eventually(() => t.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0));
    }
    await checkPage(page, 'batch');

    // One image's details: both outputs, and the thumbnail is an image of the recipe's size.
    await page.getByRole('list', { name: 'Images' }).getByRole('button').first().click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await expect(dialog.getByRole('table').locator('tbody tr').count()).resolves.toBe(2);
    await checkPage(page, 'image-details');
    const href = await dialog.getByRole('link', { name: 'Download thumb' }).getAttribute('href');
    const output = await page.request.get(href!);
    expect(output.status()).toBe(200);
    expect(await sharp(await output.body()).metadata()).toMatchObject({ format: 'webp', width: 400, height: 400 });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The results CSV downloads with the session (no token in the link): a header and a row per image.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Results CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(csv).toHaveLength(4);
    expect(csv.slice(1).every((row) => row.includes('/files/'))).toBe(true);
    // The seed's export path works from the browser too (a download, not a 401).
    const exported = await page.request.get(`${base}/export/batch/${aliceBatch}?format=json`);
    expect(exported.status()).toBe(200);
    const template = await page.request.get(`${base}/export/template`);
    expect([template.status(), template.headers()['content-type']]).toEqual([200, 'text/csv; charset=utf-8']);

    await page.goto(`${base}/`);
    await page.locator('.batch-row', { hasText: 'Holiday photos' }).waitFor();
    await checkPage(page, 'dashboard');
  }, 240_000);

  it('shows the error of a failing URL from a CSV on the batch page', async () => {
    const page = await newPage();
    await signIn(page, alice, '/new');
    await page.getByLabel('Batch name').fill('From a CSV');
    await page.getByLabel('A CSV or JSON list of image URLs').check();
    const csvPath = path.join(dataDir, 'urls.csv');
    writeFileSync(csvPath, `url\n${slow.url}/ok/a.jpg\n${slow.url}/missing/b.jpg\n`);
    await page.locator('#list').setInputFiles(csvPath);
    await page.getByLabel('Webhook URL (optional)').fill(`${slow.url}/ok/hook`);
    await page.getByRole('button', { name: 'Create batch' }).click();
    // The webhook's signing secret is shown once, before the batch page.
    await expect(page.getByTestId('webhook-secret').textContent()).resolves.toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Open the batch' }).click();
    await page.waitForURL(/\/batch\//);
    await page.locator('.progress .pct', { hasText: '100 %' }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Webhook deliveries' }).waitFor();
    await page.getByLabel('Show').selectOption('failed');
    await eventually(async () => (await page.locator('.thumb').count()) === 1);
    await page.locator('.thumb[data-status="failed"]').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('alert').textContent()).resolves.toMatch(/404/);
    await expect(dialog.textContent()).resolves.toContain(`${slow.url}/missing/b.jpg`);
  }, 120_000);

  it('pauses and resumes a running batch, showing only the controls its state allows', async () => {
    const page = await newPage();
    await signIn(page, alice, '/new');
    await page.getByLabel('Batch name').fill('Slow batch');
    await page.getByLabel('A CSV or JSON list of image URLs').check();
    const csvPath = path.join(dataDir, 'slow.csv');
    writeFileSync(csvPath, `url\n${slow.url}/slow/1.jpg\n${slow.url}/slow/2.jpg\n`);
    await page.locator('#list').setInputFiles(csvPath);
    await page.getByRole('button', { name: 'Create batch' }).click();
    await page.waitForURL(/\/batch\//);
    const controls = page.getByRole('group', { name: 'Batch controls' });
    await controls.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.page-head .badge', { hasText: 'paused' }).waitFor();
    await expect(controls.getByRole('button', { name: 'Pause' }).count()).resolves.toBe(0);
    await controls.getByRole('button', { name: 'Resume' }).click();
    await controls.getByRole('button', { name: 'Pause' }).waitFor();
    await expect(controls.getByRole('button', { name: 'Resume' }).count()).resolves.toBe(0);
    slow.release();
    await page.locator('.progress .pct', { hasText: '100 %' }).waitFor({ timeout: 60_000 });
    await expect(controls.getByRole('button', { name: 'Pause' }).count()).resolves.toBe(0);
  }, 120_000);

  it('lets an admin see the users and reset a stuck batch, which then finishes', async () => {
    // A batch whose only image a worker took two hours ago and never finished (as if that worker had died).
    const form = new FormData();
    const png = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#884422' } })
      .png()
      .toBuffer();
    form.append('files[]', new Blob([new Uint8Array(png)]), 'stuck.png');
    form.append('auto_start', 'false');
    form.append('batch_name', 'Stuck batch');
    const created = await api('/api/v1/batches', {
      method: 'POST',
      auth: await login(alice.username, alice.password),
      body: form,
    });
    const stuckId = String(created.body.batch_id);
    const { prisma } = app.clients;
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    await prisma.batch.update({ where: { id: stuckId }, data: { status: 'processing', startedAt: longAgo } });
    await prisma.image.updateMany({ where: { batchId: stuckId }, data: { status: 'processing', startedAt: longAgo } });

    const page = await newPage();
    await signIn(page, { username: 'admin', password: ADMIN_PASSWORD }, '/admin');
    const users = page.getByRole('table', { name: 'Users' });
    await users.getByRole('cell', { name: alice.username, exact: true }).waitFor();
    await users.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    const row = page.locator(`tr[data-batch-id="${stuckId}"]`);
    await row.waitFor();
    await checkPage(page, 'admin');
    await row.getByRole('button', { name: /^Reset/ }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Reset 1 images of batch ${stuckId}` })
      .waitFor();
    await eventually(
      async () => (await api(`/api/v1/batches/${stuckId}`, { auth: adminAuth })).body.status === 'completed',
    );

    await page.goto(`${base}/system/status`);
    await page.getByRole('heading', { name: 'Throughput, last hour' }).waitFor();
    await page.locator('.checks li').first().waitFor();
    await page.locator('.chart svg rect').first().waitFor();
    await checkPage(page, 'system-status');
  }, 120_000);

  it('works with the keyboard alone: sign-in, the skip link, image details opened with Enter and closed with Escape', async () => {
    const page = await newPage();
    await page.goto(`${base}/batch/${aliceBatch}`);
    await page.getByLabel('Username').waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || '');
    await eventually(async () => (await focused()) === 'username');
    await page.keyboard.type(alice.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(alice.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/batch/${aliceBatch}`);
    await page.getByRole('heading', { name: 'Holiday photos' }).waitFor();
    await page.locator('.thumb').first().waitFor();

    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('main');
    let onThumb = false;
    for (let i = 0; i < 40 && !onThumb; i++) {
      await page.keyboard.press('Tab');
      onThumb = await page.evaluate(() => document.activeElement?.classList.contains('thumb') ?? false);
    }
    expect(onThumb).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.classList.contains('thumb'))).toBe(true);
  });

  it('answers another user with a 404 page for a batch that is not theirs, without its data', async () => {
    const bob = await createUser(`bob-${randomBytes(3).toString('hex')}`);
    const page = await newPage();
    await signIn(page, bob);
    const res = await page.goto(`${base}/batch/${aliceBatch}`);
    expect(res?.status()).toBe(404);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(await page.locator('main').textContent()).not.toContain('Holiday photos');
    await checkPage(page, 'not-found');
    const adminPage = await page.goto(`${base}/admin`);
    expect(adminPage?.status()).toBe(403);
    await page.getByRole('heading', { name: 'Admins only' }).waitFor();
  });

  it('shows user-supplied names as text, never as markup or script', async () => {
    const batchName = '<img src=x onerror=alert(1)>';
    // The multipart parser keeps only the last path segment of a file name, so this one carries no '/'.
    const fileName = '"><svg onload=window.__xss=1><script>window.__xss=2.jpg';
    const auth = await login(alice.username, alice.password);
    const form = new FormData();
    const jpeg = await sharp({ create: { width: 90, height: 60, channels: 3, background: '#225588' } })
      .jpeg()
      .toBuffer();
    form.append('batch_name', batchName);
    form.append('files[]', new Blob([new Uint8Array(jpeg)]), fileName);
    const created = await api('/api/v1/batches', { method: 'POST', auth, body: form });
    expect(created.status).toBe(201);
    const id = String(created.body.batch_id);

    const page = await newPage();
    await signIn(page, alice);
    await page.getByRole('link', { name: batchName }).waitFor();
    await page.goto(`${base}/batch/${id}`);
    await page.getByRole('heading', { name: batchName }).waitFor();
    await page.getByRole('list', { name: 'Images' }).getByRole('button').first().click();
    await page.getByRole('dialog').getByRole('heading', { name: fileName }).waitFor();
    expect(await page.evaluate(() => (window as unknown as Json).__xss)).toBeUndefined();
    expect(await page.locator('img[src="x"], main script').count()).toBe(0);
  });

  it('opens the first page of a user with 10,000 batches (paged: the newest 20, and the count)', async () => {
    const carol = await createUser(`carol-${randomBytes(3).toString('hex')}`);
    const { prisma } = app.clients;
    const owner = await prisma.user.findFirstOrThrow({ where: { username: carol.username } });
    const t0 = Date.now() - 10_000 * 1000;
    for (let start = 0; start < 10_000; start += 2000) {
      await prisma.batch.createMany({
        data: Array.from({ length: 2000 }, (_, i) => ({
          ownerId: owner.id,
          name: `Catalogue ${start + i + 1}`,
          status: 'completed' as const,
          sourceKind: 'upload' as const,
          recipe: { variants: [{ name: 'thumb', width: 300, format: 'webp' }] },
          totalImages: 10,
          processedImages: 10,
          succeededImages: 10,
          createdAt: new Date(t0 + (start + i) * 1000),
          startedAt: new Date(t0 + (start + i) * 1000),
          completedAt: new Date(t0 + (start + i) * 1000 + 500),
        })),
      });
    }
    const page = await newPage();
    await signIn(page, carol, '/new');
    // From navigation to the list drawn, measured in the page (printed; the target is under 1 s).
    const started = Date.now();
    await page.goto(`${base}/`);
    await page.locator('.batch-row').first().waitFor();
    const ms = Date.now() - started;
    await expect(page.locator('.batch-row').count()).resolves.toBe(20);
    await expect(page.locator('.batch-name').first().textContent()).resolves.toBe('Catalogue 10000');
    await page.getByText('Page 1 of 500 · 10000 batches').waitFor();
    console.log(`dashboard first page with 10,000 batches: ${ms} ms from navigation to the list drawn`);
  }, 120_000);

  it('signs out: the cookie is gone and the old session no longer opens anything', async () => {
    const page = await newPage();
    await signIn(page, alice);
    const [cookie] = await page.context().cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    expect(await page.context().cookies()).toEqual([]);
    const replay = await fetch(`${base}/api/v1/me`, { headers: { Cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(replay.status).toBe(401);
    const res = await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(res?.status()).toBe(200);
  });
});
