// The rows of one chunk of a URL batch, as the gateway writes them at intake and the ingest worker reads them: the
// worker creates the chunk's image rows from this file instead of re-parsing the whole input CSV for every chunk.
import { z } from 'zod';

/** Where a URL (by data row and index within its cell) first occurs in the batch: its image is fetched once. */
export const UrlPosition = z.tuple([z.number().int().min(1), z.number().int().min(0)]);
/** [data row, index of the URL within its cell] */
export type UrlPosition = z.infer<typeof UrlPosition>;

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
