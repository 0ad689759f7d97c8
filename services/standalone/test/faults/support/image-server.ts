// The loopback image server the fault scenarios' URL batches fetch from (@pixmill/safe-fetch/testing): every
// `/img/<key>-<w>x<h>.jpg` is a distinct photo of that size, so every URL is a distinct image; `/missing/<key>` (404) and
// `/text/<key>.jpg` fail their images; its gate holds image answers so a scenario can kill the ingest worker while
// it is sure to be mid-chunk.
import { startImageServer as startServer, type ImageServer } from '@pixmill/safe-fetch/testing';
import { photo } from '../../support/images';

export type { ImageServer };

/** `address`: loopback by default; the scale suite's runner address there. */
export function startImageServer(address?: string): Promise<ImageServer> {
  const cache = new Map<string, Promise<Buffer>>();
  return startServer({
    image(path) {
      const m = /^\/img\/([a-z0-9-]+)-(\d+)x(\d+)\.jpg$/.exec(path);
      if (!m) return Promise.reject(new Error(`not an image path: ${path}`));
      if (!cache.has(m[1]!)) cache.set(m[1]!, photo(Number(m[2]), Number(m[3])));
      return cache.get(m[1]!)!;
    },
    ...(address ? { address } : {}),
  });
}
