// `pnpm start` on a machine with nothing configured: embedded database, in-process queue, local storage.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { startEmbeddedProcess } from './support/embedded-process';
import { readData } from '@pixmill/gateway/testing';

/** Local addresses of the TCP sockets listening on `port`, from the kernel's table (no traffic sent). */
function listenersOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const v4 = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  const v6 = readFileSync('/proc/net/tcp6', 'utf8').split('\n').slice(1);
  return [...v4, ...v6]
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`)) // 0A: LISTEN
    .map((f) => {
      const hex = f[1]!.split(':')[0]!;
      if (hex.length !== 8) return hex === '00000000000000000000000001000000' ? '::1' : `v6:${hex}`;
      return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    });
}

describe('pnpm start with nothing configured', () => {
  it('comes up healthy, prints working admin credentials, processes an image, and stops cleanly on SIGTERM', async () => {
    const p = await startEmbeddedProcess();
    try {
      const password = p.adminPassword;
      const base = p.base;
      const port = p.port;
      // Loopback only, and the banner says so: the socket table shows the one listener on the port at 127.0.0.1.
      expect(p.output()).toContain(`listening on http://127.0.0.1:${port} (this machine only; set HOST=0.0.0.0`);
      expect(p.output()).toContain(`open http://localhost:${port}`);
      expect(listenersOn(port)).toEqual(['127.0.0.1']);

      const health = await fetch(`${base}/api/v1/health`);
      const report = (await readData(health)) as { status: string; checks: Record<string, { status: string }> };
      expect(health.status).toBe(200);
      expect(report.status).toBe('healthy');
      expect(Object.keys(report.checks).sort()).toEqual(['database', 'queue', 'storage']);

      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      const auth = { Authorization: `Bearer ${((await readData(login)) as { access_token: string }).access_token}` };

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
      const { download_url } = (await readData(resized)) as { download_url: string };
      expect(download_url.startsWith(`http://localhost:${port}/files/`)).toBe(true);
      const file = await fetch(download_url.replace('localhost', '127.0.0.1'));
      expect(file.status).toBe(200);
      expect(await sharp(Buffer.from(await file.arrayBuffer())).metadata()).toMatchObject({
        format: 'jpeg',
        width: 150,
        height: 100,
      });

      expect(await p.stop()).toBe(0);
    } finally {
      await p.stop(0);
    }
  }, 240_000);
});
