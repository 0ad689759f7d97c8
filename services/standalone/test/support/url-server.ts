// The loopback image server of @pixmill/safe-fetch/testing with real photos, for URL batches end to end:
// `/img/<key>-<w>x<h>.<jpg|png|webp>` (and `/flaky/…` after its 503) is a photo of that size, the same bytes for
// the same size and format.
import { startImageServer, type ImageServer } from '@pixmill/safe-fetch/testing';
import { photo } from './images';

export type UrlServer = ImageServer;

export function startUrlServer(): Promise<UrlServer> {
  const cache = new Map<string, Promise<Buffer>>();
  return startImageServer({
    image(path) {
      const m = /(\d+)x(\d+)\.(jpg|png|webp)$/.exec(path);
      if (!m) return Promise.reject(new Error(`no size in ${path}`));
      const key = `${m[1]}x${m[2]}.${m[3]}`;
      if (!cache.has(key)) cache.set(key, photo(Number(m[1]), Number(m[2]), m[3] === 'jpg' ? 'jpeg' : (m[3] as 'png')));
      return cache.get(key)!;
    },
  });
}
