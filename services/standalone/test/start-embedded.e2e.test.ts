// `pnpm start` on a machine with nothing configured: embedded database, in-process queue, local storage.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { freePort } from '@pixmill/db/testing';

const ROOT = path.resolve(__dirname, '../../..');

describe('pnpm start with nothing configured', () => {
  it('comes up healthy, prints working admin credentials, processes an image, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-start-'));
    const port = await freePort();
    // Only what any shell has, plus a free port and a throw-away data folder: no database, queue or S3 settings.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/standalone/src/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000; // a loaded 2-core machine can take a while to boot the embedded database
      while (!/password: (\S+)/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output).toContain(`listening on http://localhost:${port}`);
      const password = /password: (\S+)/.exec(output)![1]!;
      const base = `http://127.0.0.1:${port}`;

      const health = await fetch(`${base}/api/v1/health`);
      const report = (await health.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(health.status).toBe(200);
      expect(report.status).toBe('ok');
      expect(Object.keys(report.checks).sort()).toEqual(['database', 'queue', 'storage']);

      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      const auth = { Authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };

      // The embedded defaults do real work: one image through the in-process queue to local storage and back.
      const fd = new FormData();
      const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } })
        .png()
        .toBuffer();
      fd.append('image', new Blob([new Uint8Array(png)]), 'tile.png');
      fd.append('width', '150');
      fd.append('format', 'jpeg');
      fd.append('wait', '30');
      const resized = await fetch(`${base}/api/v1/resize`, { method: 'POST', headers: auth, body: fd });
      expect(resized.status).toBe(200);
      const { download_url } = (await resized.json()) as { download_url: string };
      expect(download_url.startsWith(`http://localhost:${port}/files/`)).toBe(true);
      const file = await fetch(download_url.replace('localhost', '127.0.0.1'));
      expect(file.status).toBe(200);
      expect(await sharp(Buffer.from(await file.arrayBuffer())).metadata()).toMatchObject({
        format: 'jpeg',
        width: 150,
        height: 100,
      });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
