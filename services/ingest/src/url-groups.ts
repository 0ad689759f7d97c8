// The open images of a chunk grouped by URL, so each distinct URL is fetched once.
import type { OpenChunkImage } from '@pixmill/batch-state';
import type { ChunkManifest } from '@pixmill/contracts';

/** Images of one URL within the chunk: fetched once here, or taken from where the URL first occurs. */
export type UrlGroup = { url: string; images: OpenChunkImage[]; firstOccurrence?: readonly [number, number] };

/** Groups open images by URL. A group whose URL first occurs earlier in the batch (another chunk, or an image of this
 * chunk already done) takes that occurrence's original instead of fetching. */
export function groupByUrl(images: OpenChunkImage[], manifest: ChunkManifest): UrlGroup[] {
  const firstOf = new Map<string, readonly [number, number] | undefined>();
  for (const r of manifest.rows) r.urls.forEach((u, i) => firstOf.set(`${r.row}:${i}`, u.dupOf));
  const groups = new Map<string, UrlGroup>();
  for (const img of images) {
    const url = img.sourceUrl ?? '';
    const dupOf = firstOf.get(`${img.rowNumber}:${img.urlIndex}`);
    let g = groups.get(url);
    if (!g) groups.set(url, (g = { url, images: [], ...(dupOf ? { firstOccurrence: dupOf } : {}) }));
    g.images.push(img);
    // The first occurrence itself is open here: this chunk fetches the URL.
    if (!dupOf) delete g.firstOccurrence;
  }
  return [...groups.values()];
}
