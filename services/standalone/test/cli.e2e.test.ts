// The `pixmill` CLI against `pnpm start` with nothing configured (the embedded default), run as a user runs it: a
// child process, stdout not a terminal (so plain progress lines, no bars), credentials in its config folder.
import { spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startTarget, type Target } from './support/target';
import { dataIn } from '@pixmill/gateway/testing';
import { photo } from './support/images';
import { startUrlServer, type UrlServer } from './support/url-server';

// The bin as the package publishes it.
const BIN = path.join(path.dirname(require.resolve('@pixmill/client/package.json')), 'bin/pixmill.cjs');

type Run = { code: number; out: string; err: string };

let p: Target;
let srv: UrlServer;
let home: string;
let env: Record<string, string>;

function pixmill(args: string[], o: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(o.stdin ?? '');
  });
}

beforeAll(async () => {
  srv = await startUrlServer();
  p = await startTarget('embedded', { FETCH_ALLOW_HOSTS: `127.0.0.1:${srv.port}`, FETCH_TIMEOUT_MS: '5000' });
  home = mkdtempSync(path.join(tmpdir(), 'pixmill-cli-'));
  env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), PIXMILL_URL: p.url };
  const admin = await p.userAuth('admin');
  const created = await p.api('/api/v1/users', {
    method: 'POST',
    auth: admin,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'carol', password: 'carol-password-1', role: 'user' }),
  });
  expect(created.status).toBe(201);
}, 240_000);
afterAll(async () => {
  await p?.close();
  await srv?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('pixmill CLI', () => {
  let batchId: string;
  const out = () => path.join(home, 'out');

  it('logs in with the password on stdin and keeps the token in a 0600 file of its config folder', async () => {
    const r = await pixmill(['login', '--username', 'carol'], { stdin: 'carol-password-1\n' });
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain('logged in');
    const file = path.join(home, 'config', 'pixmill', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: p.url, token: expect.any(String) });

    const wrong = await pixmill(['login', '--username', 'carol', '--password', 'nope']);
    expect(wrong.code).toBe(3);
    expect(wrong.err).toMatch(/401/);
  });

  it('uploads a folder of photos, follows it with plain progress lines, and exits 0', async () => {
    const dir = path.join(home, 'photos');
    await mkdir(path.join(dir, 'more'), { recursive: true });
    writeFileSync(path.join(dir, 'beach.jpg'), await photo(800, 600));
    writeFileSync(path.join(dir, 'more', 'hill.png'), await photo(400, 600, 'png'));
    writeFileSync(path.join(dir, 'city.webp'), await photo(640, 480, 'webp'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    const r = await pixmill(['upload', dir, '--width', '200', '--format', 'webp', '--name', 'holiday']);
    expect(r.code).toBe(0);
    batchId = /batch ([0-9a-f-]{36}): 3 images/.exec(r.err)?.[1] ?? '';
    expect(batchId).not.toBe('');
    // Not a terminal: lines, no escape codes.
    expect(r.err).not.toContain('\u001b[');
    expect(r.err).toMatch(new RegExp(`${batchId} completed 3/3 processed, 0 failed`));
    // Upload progress in bytes first: the multipart body, all of it (three photos and the recipe).
    const photos = ['beach.jpg', 'more/hill.png', 'city.webp'].reduce(
      (n, f) => n + statSync(path.join(dir, f)).size,
      0,
    );
    const uploaded = [...r.err.matchAll(/uploaded (\d+)\/(\d+) bytes/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(uploaded.length).toBeGreaterThanOrEqual(2);
    const [sent, total] = uploaded.at(-1)!;
    expect(sent).toBe(total);
    expect(total).toBeGreaterThan(photos);
    expect(r.err.indexOf('uploaded')).toBeLessThan(r.err.indexOf(`batch ${batchId}`));
    expect(r.out).toContain(`${batchId} completed: 3 done, 0 failed of 3`);
  }, 120_000);

  it('draws a progress bar on a terminal (a pseudo-TTY made by script(1)) and exits 0 for a batch without failures', async () => {
    const r = await inTty(['watch', batchId]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('█');
    expect(r.out).toMatch(/3\/3 images/);
    expect(r.out).toContain(`${batchId} completed: 3 done, 0 failed of 3`);
  });

  it('downloads the outputs through the ZIP, and a second run skips what is already there', async () => {
    const first = await pixmill(['download', batchId, '--out', out(), '--json']);
    expect(first.code).toBe(0);
    const r = JSON.parse(first.out) as { written: string[]; skipped: string[] };
    expect(r.written.sort()).toEqual(['beach/default.webp', 'city/default.webp', 'hill/default.webp']);
    const images = dataIn<{ items: { original_name: string; outputs: { bytes: number; width: number }[] }[] }>(
      await (await p.api(`/api/v1/batches/${batchId}/images`, { auth: { Authorization: `Bearer ${token()}` } })).json(),
    ).items;
    for (const img of images) {
      const file = path.join(out(), img.original_name.replace(/\.[a-z]+$/, ''), 'default.webp');
      expect(statSync(file).size).toBe(img.outputs[0]!.bytes);
      const meta = await sharp(file).metadata();
      expect(meta).toMatchObject({ format: 'webp', width: 200 });
    }

    const again = await pixmill(['download', batchId, '--out', out()]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.out).toContain('0 files written, 3 already there');

    unlinkSync(path.join(out(), 'beach', 'default.webp'));
    truncateSync(path.join(out(), 'city', 'default.webp'), 10);
    const resumed = JSON.parse((await pixmill(['download', batchId, '--out', out(), '--json'])).out) as typeof r;
    expect(resumed.written.sort()).toEqual(['beach/default.webp', 'city/default.webp']);
    expect(resumed.skipped).toEqual(['hill/default.webp']);
    expect(readdirSync(out()).filter((n) => n.endsWith('.part'))).toEqual([]);
  }, 60_000);

  it('lists and shows batches, as text and as JSON', async () => {
    const ls = await pixmill(['ls', '--json']);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.out) as { batch_id: string }[]).map((b) => b.batch_id)).toContain(batchId);
    const show = await pixmill(['show', batchId, '--json']);
    expect(JSON.parse(show.out)).toMatchObject({ batch_id: batchId, status: 'completed', total_images: 3 });
  });

  it('exits 1 and prints the error when a URL of the batch fails, and gives the results CSV', async () => {
    const list = path.join(home, 'urls.json');
    writeFileSync(list, JSON.stringify([`${srv.origin}/img/a-64x48.jpg`, `${srv.origin}/status/404`]));
    const r = await pixmill(['submit', list]);
    expect(r.code).toBe(1);
    const watched = await inTty(['watch', /batch ([0-9a-f-]{36})/.exec(r.err)![1]!]);
    expect(watched.code).toBe(1);
    expect(watched.out).toContain('█');
    expect(r.out).toMatch(/completed: 1 done, 1 failed of 2/);
    expect(r.out).toContain(`failed: ${srv.origin}/status/404: `);
    const id = /batch ([0-9a-f-]{36})/.exec(r.err)![1]!;
    const csv = await pixmill(['results', id]);
    expect(csv.code).toBe(0);
    expect(csv.out.split('\n')[0]).toMatch(/^url,/);
    expect(csv.out).toContain(`${srv.origin}/status/404`);
  }, 120_000);

  it('preflights a CSV: exit 1 naming a malformed row, nothing created', async () => {
    const before = await p.db.batch.count();
    const file = path.join(home, 'check.csv');
    writeFileSync(file, `url\n${srv.origin}/img/b-10x10.jpg\nnot a url\n${srv.origin}/img/b-10x10.jpg\n`);
    const r = await pixmill(['preflight', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('3 rows, 3 URLs (2 distinct), 1 repeated');
    expect(r.out).toContain('malformed: row 2: not a url');
    expect(await p.db.batch.count()).toBe(before);
  });

  it('exits 2 on a usage error and 3 when the API or the network fails', async () => {
    expect((await pixmill(['upload'])).code).toBe(2);
    expect((await pixmill(['frobnicate'])).code).toBe(2);
    const missing = await pixmill(['show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/404/);
    const down = await pixmill(['ls'], { env: { PIXMILL_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(3);
  });
});

/** The CLI in a pseudo-terminal: util-linux script(1), which passes on the command's exit code (-e). */
function inTty(args: string[]): Promise<Run> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...env, TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err: '' }));
    child.stdin.end();
  });
}

function token(): string {
  return (JSON.parse(readFileSync(path.join(home, 'config', 'pixmill', 'config.json'), 'utf8')) as { token: string })
    .token;
}
