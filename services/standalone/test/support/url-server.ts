// Loopback servers for URL batches end to end: one serving real images (and a few misbehaviours), counting
// requests per path, and a trap outside the allow-list that must never be reached.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { photo } from './images';

export type UrlServer = {
  port: number;
  origin: string;
  hits(path: string): number;
  close(): Promise<void>;
};

/**
 * `/img/<w>x<h>.<jpg|png|webp>` a real photo of that size (sent as application/octet-stream), `/flaky/<key>.jpg`
 * 503 on its first request then a photo, `/status/<code>`, `/redirect?to=<url>`, `/text`.
 */
export async function startUrlServer(): Promise<UrlServer> {
  const hits = new Map<string, number>();
  const cache = new Map<string, Promise<Buffer>>();
  const image = (w: number, h: number, ext: string) => {
    const key = `${w}x${h}.${ext}`;
    if (!cache.has(key)) cache.set(key, photo(w, h, ext === 'jpg' ? 'jpeg' : (ext as 'png' | 'webp')));
    return cache.get(key)!;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const n = (hits.get(p) ?? 0) + 1;
    hits.set(p, n);
    const m = /^\/(?:img|flaky)\/(?:[a-z0-9-]+-)?(\d+)x(\d+)\.(jpg|png|webp)$/.exec(p);
    if (p.startsWith('/flaky/') && n === 1) return void res.writeHead(503).end('busy');
    if (m) {
      void image(Number(m[1]), Number(m[2]), m[3]!).then((data) =>
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data),
      );
      return;
    }
    if (p.startsWith('/status/')) return void res.writeHead(Number(p.slice(8))).end();
    if (p === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    if (p === '/text') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end('not really an image');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Listens on 127.0.0.1 and the same port of ::1 (when there is one); counts every connection accepted. */
export async function startTrap(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const servers: http.Server[] = [];
  const make = () => {
    const s = http.createServer((_req, res) => res.end('trap'));
    s.on('connection', () => connections++);
    servers.push(s);
    return s;
  };
  const v4 = make();
  await new Promise<void>((resolve) => v4.listen(0, '127.0.0.1', resolve));
  const port = (v4.address() as AddressInfo).port;
  const v6 = make();
  await new Promise<void>((resolve) => {
    v6.once('error', () => resolve());
    v6.listen(port, '::1', resolve);
  });
  return {
    port,
    connections: () => connections,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
