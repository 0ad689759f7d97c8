// What the ingest worker reads for each chunk: the chunk's rows that have URLs, with where each URL first occurs
// in the batch (so it is fetched once). The reader and its zod schema are services/ingest/src/chunk-manifest.ts;
// the two belong together in @pixmill/contracts.

/** [data row, index of the URL within its cell] */
export type UrlPosition = [number, number];

export type ChunkManifest = {
  v: 1;
  batchId: string;
  seq: number;
  firstRow: number;
  rowCount: number;
  rows: { row: number; cells: string[]; urls: { url: string; dupOf?: UrlPosition }[] }[];
};

export const uploadPrefix = (batchId: string): string => `uploads/${batchId}/`;
export const inputCsvKey = (batchId: string): string => `uploads/${batchId}/input.csv`;
export const chunkManifestKey = (batchId: string, seq: number): string =>
  `uploads/${batchId}/chunks/${String(seq).padStart(6, '0')}.json`;
