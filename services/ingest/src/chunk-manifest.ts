// The rows of one chunk of a URL batch, as the gateway wrote them at intake: the ingest worker creates the chunk's
// image rows from this file instead of re-parsing the whole input CSV for every chunk.
// The gateway writes the same shape (services/gateway/src/batches/url-intake/chunk-manifest.ts); it belongs in
// @pixmill/contracts once both sides settle.
import { z } from 'zod';
import type { ObjectStore } from '@pixmill/storage';

/** Where a URL (by data row and index within its cell) first occurs in the batch: its image is fetched once. */
export const UrlPosition = z.tuple([z.number().int().min(1), z.number().int().min(0)]);

export const ChunkManifest = z.object({
  v: z.literal(1),
  batchId: z.uuid(),
  seq: z.number().int().min(1),
  firstRow: z.number().int().min(1),
  rowCount: z.number().int().min(0),
  /** Only rows with at least one URL; `row` is the data row number (1 = first row after the header). */
  rows: z.array(
    z.object({
      row: z.number().int().min(1),
      cells: z.array(z.string()),
      urls: z.array(z.object({ url: z.string(), dupOf: UrlPosition.optional() })),
    }),
  ),
});
export type ChunkManifest = z.infer<typeof ChunkManifest>;

export const chunkManifestKey = (batchId: string, seq: number): string =>
  `uploads/${batchId}/chunks/${String(seq).padStart(6, '0')}.json`;

/** Largest manifest read back: a chunk of 500 rows is far below this; anything bigger is not ours. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export async function readChunkManifest(
  store: Pick<ObjectStore, 'get'>,
  batchId: string,
  seq: number,
): Promise<ChunkManifest> {
  const stream = await store.get(chunkManifestKey(batchId, seq));
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of stream as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_MANIFEST_BYTES) {
      (stream as { destroy?: () => void }).destroy?.();
      throw new Error(`chunk manifest ${seq} of batch ${batchId} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    parts.push(part);
  }
  return ChunkManifest.parse(JSON.parse(Buffer.concat(parts, size).toString('utf8')));
}
