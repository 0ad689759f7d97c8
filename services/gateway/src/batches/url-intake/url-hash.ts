/**
 * A 53-bit hash of a URL (cyrb53: two 32-bit lanes mixed with Math.imul), a safe integer to key the intake's map of
 * first occurrences. A map of numbers holds 100,000 URLs in ~5 MB where one keyed by the URL strings took ~25 MB,
 * and a batch may hold MAX_CSV_ROWS of them. Two URLs that collide (about 1 in 10^6 batches of 200,000 distinct
 * URLs, or on purpose) cost a fetch, never a wrong image: the ingest worker takes an earlier occurrence's original
 * only when that image's URL is the same string.
 */
export function urlHash(url: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
