// The loopback HTTP server URL batches fetch from: small real images, a few bad answers, and a gate that holds
// image responses so a scenario can kill the ingest worker while it is sure to be mid-chunk.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { photo } from '../../support/images';

export type ImageServer = {
  origin: string;
  /** `127.0.0.1:<port>`, for FETCH_ALLOW_HOSTS. */
  host: string;
  /** Requests for this path so far. */
  hits(path: string): number;
  /** Image requests answered so far. */
  served(): number;
  /** Image requests waiting at the gate right now. */
  held(): number;
  /** From now on, image requests wait (after the first `after` more are answered) until `open()`. */
  closeGate(after?: number): void;
  openGate(): void;
  close(): Promise<void>;
};

/**
 * `/img/<key>-<w>x<h>.jpg`: a JPEG of that size (distinct per key, so every URL is a distinct image);
 * `/missing/<key>`: 404; `/text/<key>.jpg`: 200 with bytes that are not an image.
 */
export async function startImageServer(): Promise<ImageServer> {
  const hits = new Map<string, number>();
  const cache = new Map<string, Promise<Buffer>>();
  let served = 0;
  let gate: { allowance: number } | undefined;
  const waiting = new Set<() => void>();

  const answerImage = (res: http.ServerResponse, key: string, w: number, h: number) => {
    let bytes = cache.get(key);
    if (!bytes) cache.set(key, (bytes = photo(w, h)));
    void bytes.then(
      (data) => {
        served++;
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': data.length }).end(data);
      },
      () => res.writeHead(500).end(),
    );
  };

  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const m = /^\/img\/([a-z0-9-]+)-(\d+)x(\d+)\.jpg$/.exec(p);
    if (m) {
      const go = () => answerImage(res, m[1]!, Number(m[2]), Number(m[3]));
      if (gate && gate.allowance <= 0) {
        const release = () => {
          waiting.delete(release);
          go();
        };
        waiting.add(release);
        // A client that gave up (a killed worker) is not waited for.
        res.once('close', () => waiting.delete(release));
        return;
      }
      if (gate) gate.allowance--;
      return go();
    }
    if (p.startsWith('/missing/')) return void res.writeHead(404).end('no such image');
    if (p.startsWith('/text/')) return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end('not an image');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hits: (path) => hits.get(path) ?? 0,
    served: () => served,
    held: () => waiting.size,
    closeGate(after = 0) {
      gate = { allowance: after };
    },
    openGate() {
      gate = undefined;
      for (const release of [...waiting]) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        gate = undefined;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
