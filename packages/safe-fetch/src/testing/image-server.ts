// A loopback HTTP server of images and misbehaving answers for the tests of URL fetching (unit, end to end, abuse
// and fault suites), counting what it receives. What an image is depends on the suite: ingest only sniffs the first
// bytes, the pipeline needs real photos, so the body of an image path is the caller's to give.
import type http from 'node:http';
import { startServer } from './local-server';

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

export type ImageServerOptions = {
  /** The bytes of an image path (`/img/…`, and `/flaky/…` after its 503). Default: JPEG for `.jpg`, else PNG. */
  image?: (path: string) => Buffer | Promise<Buffer>;
  /** Where it listens: loopback by default (the scale suite puts it on a test-host address). */
  address?: string;
};

export type ImageServer = {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `127.0.0.1:<port>`, for FETCH_ALLOW_HOSTS. */
  host: string;
  /** Requests per path (without the query). */
  hits(path: string): number;
  connections(): number;
  /** Image answers sent. */
  served(): number;
  /** Image requests waiting at the gate right now. */
  held(): number;
  /** From now on image requests wait (after `after` more are answered) until `openGate()`. */
  closeGate(after?: number): void;
  openGate(): void;
  /** Bytes written to the body of /huge before the client went away. */
  hugeBytesSent(): number;
  /** Called on each request before it is answered (tests use it to change the world mid-chunk). */
  onRequest?: (path: string) => Promise<void> | void;
  close(): Promise<void>;
};

/**
 * Routes: `/img/…` an image (sent as application/octet-stream: the bytes decide), `/flaky/…` 503 on its first
 * request then an image, `/text…` text sent as image/jpeg, `/pdf` a PDF sent as image/png, `/status/<code>`,
 * `/slow` never answers, `/huge` an endless body (2 GB, streamed, never sent whole), `/redirect?to=<url>` a 302 to
 * anywhere; anything else 404.
 */
export async function startImageServer(o: ImageServerOptions = {}): Promise<ImageServer> {
  const imageOf = o.image ?? ((path: string) => (path.endsWith('.jpg') ? JPEG : PNG));
  const hits = new Map<string, number>();
  let served = 0;
  let hugeSent = 0;
  let gate: { allowance: number } | undefined;
  const waiting = new Set<() => void>();
  const self: Partial<ImageServer> = {};

  const sendImage = (path: string, res: http.ServerResponse) =>
    void Promise.resolve(imageOf(path)).then(
      (data) => {
        served++;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length }).end(data);
      },
      () => res.writeHead(500).end(),
    );

  const gated = (path: string, res: http.ServerResponse) => {
    if (!gate || gate.allowance > 0) {
      if (gate) gate.allowance--;
      return sendImage(path, res);
    }
    const release = () => {
      waiting.delete(release);
      sendImage(path, res);
    };
    waiting.add(release);
    // A client that gave up (a killed worker) is not waited for.
    res.once('close', () => waiting.delete(release));
  };

  const answer = (url: URL, res: http.ServerResponse) => {
    const p = url.pathname;
    if (p.startsWith('/img/')) return gated(p, res);
    if (p.startsWith('/flaky/')) {
      if (hits.get(p) === 1) return void res.writeHead(503).end('try later');
      return sendImage(p, res);
    }
    if (p === '/text' || p.startsWith('/text/'))
      return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html><body>not an image</body></html>');
    if (p === '/pdf') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PDF);
    if (p.startsWith('/status/')) return void res.writeHead(Number(p.slice(8))).end('no');
    if (p === '/slow') return; // never answers; the client's timeout ends it
    if (p === '/huge') {
      // Announced as 2 GB it would be refused from the header alone; chunked, it has to be cut while streaming.
      res.writeHead(200, { 'content-type': 'image/png' });
      const block = Buffer.concat([PNG, Buffer.alloc(64 * 1024 - PNG.length)]);
      const pump = () => {
        while (hugeSent < 2 * 1024 ** 3 && !res.destroyed) {
          hugeSent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (p === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    res.writeHead(404).end();
  };

  const server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    void Promise.resolve(self.onRequest?.(url.pathname)).then(() => answer(url, res));
  }, o.address);
  return Object.assign(self, {
    port: server.port,
    origin: server.origin,
    host: `${o.address ?? '127.0.0.1'}:${server.port}`,
    hits: (path: string) => hits.get(path) ?? 0,
    connections: server.connections,
    served: () => served,
    held: () => waiting.size,
    closeGate(after = 0) {
      gate = { allowance: after };
    },
    openGate() {
      gate = undefined;
      for (const release of [...waiting]) release();
    },
    hugeBytesSent: () => hugeSent,
    close: () => {
      gate = undefined;
      return server.close();
    },
  }) as ImageServer;
}
