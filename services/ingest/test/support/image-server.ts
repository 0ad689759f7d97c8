// A loopback HTTP server of small images and misbehaving answers, counting what it receives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// 1x1 PNG and a minimal JPEG/WebP head: ingest judges files by their first bytes only.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
export const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);
export const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< >>\nendobj\n');

export type ImageServer = {
  port: number;
  origin: string;
  /** Requests per path (without the query). */
  hits(path: string): number;
  connections(): number;
  /** Bytes written to the body of /huge before the client went away. */
  hugeBytesSent(): number;
  /** Called on each request before it is answered (tests use it to change the world mid-chunk). */
  onRequest?: (path: string) => Promise<void> | void;
  close(): Promise<void>;
};

/**
 * Routes: `/img/<name>.png|.jpg` an image (sent as application/octet-stream: the bytes decide), `/text` HTML,
 * `/pdf`, `/status/<code>`, `/flaky/<key>` 503 on the first request then a PNG, `/slow` never answers, `/huge` an
 * endless body (2 GB announced, streamed, never sent whole), `/redirect?to=<url>` 302 to anywhere.
 */
export async function startImageServer(): Promise<ImageServer> {
  const hits = new Map<string, number>();
  let connections = 0;
  let hugeSent = 0;
  const self: Partial<ImageServer> = {};
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    Promise.resolve(self.onRequest?.(url.pathname)).then(() => answer(url, res));
  });
  server.on('connection', () => connections++);

  function answer(url: URL, res: http.ServerResponse) {
    const p = url.pathname;
    if (p.startsWith('/img/'))
      return void res
        .writeHead(200, { 'content-type': 'application/octet-stream' })
        .end(p.endsWith('.jpg') ? JPEG : PNG);
    if (p === '/text')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>');
    if (p === '/pdf') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PDF);
    if (p.startsWith('/status/')) return void res.writeHead(Number(p.slice(8))).end('no');
    if (p.startsWith('/flaky/')) {
      if (hits.get(p) === 1) return void res.writeHead(503).end('try later');
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    }
    if (p === '/slow') return; // never answers; the client's timeout ends it
    if (p === '/huge') {
      // Announced as 2 GB would be refused from the header alone; chunked, it has to be cut while streaming.
      res.writeHead(200, { 'content-type': 'image/png' });
      const block = Buffer.concat([PNG, Buffer.alloc(64 * 1024 - PNG.length)]);
      const pump = () => {
        while (hugeSent < 2 * 1024 ** 3 && !res.destroyed) {
          hugeSent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => undefined);
      return pump();
    }
    if (p === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    res.writeHead(404).end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(self, {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits: (path: string) => hits.get(path) ?? 0,
    connections: () => connections,
    hugeBytesSent: () => hugeSent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return self as ImageServer;
}

/** A loopback server outside the allow-list: any connection it accepts is an SSRF hole. */
export async function startTrap(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const servers: http.Server[] = [];
  const make = () => {
    const s = http.createServer((_req, res) => res.end('you should not see this'));
    s.on('connection', () => connections++);
    servers.push(s);
    return s;
  };
  const v4 = make();
  await new Promise<void>((resolve) => v4.listen(0, '127.0.0.1', resolve));
  const port = (v4.address() as AddressInfo).port;
  // The same port on ::1, so [::1] and localhost would reach the trap too if anything let them through.
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
