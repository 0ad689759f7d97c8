// Where everything of a batch is stored. Every key is built here: the gateway, the workers, clone and delete read
// the same layout, and a key is deterministic, so a retry overwrites instead of adding.

/** The three areas a batch stores under, each with one folder per batch. */
export const STORAGE_AREAS = ['originals', 'outputs', 'uploads'] as const;
export type StorageArea = (typeof STORAGE_AREAS)[number];

/** `<area>/<batchId>/`, with the slash, so `b1` never matches `b10`. */
export const areaPrefix = (area: StorageArea, batchId: string): string => `${area}/${batchId}/`;

/** Everything a batch put in storage (uploads: the input CSV and its chunk manifests). */
export const batchPrefixes = (batchId: string): string[] => STORAGE_AREAS.map((area) => areaPrefix(area, batchId));

/** The folder of a batch's originals (an upload streams its files there before the batch row exists). */
export const originalsPrefix = (batchId: string): string => areaPrefix('originals', batchId);
/** A fetched original: one fixed key per image. */
export const originalKey = (batchId: string, imageId: string, extension: string): string =>
  `${originalsPrefix(batchId)}${imageId}.${extension}`;

/** One variant of an image's results: one fixed key per (batch, image, variant). */
export const outputKey = (batchId: string, imageId: string, variant: string, extension: string): string =>
  `${areaPrefix('outputs', batchId)}${imageId}/${variant}.${extension}`;

/** A URL batch's intake files: the input CSV and the chunk manifests. */
export const uploadPrefix = (batchId: string): string => areaPrefix('uploads', batchId);
export const inputCsvKey = (batchId: string): string => `${uploadPrefix(batchId)}input.csv`;
export const chunkManifestKey = (batchId: string, seq: number): string =>
  `${uploadPrefix(batchId)}chunks/${String(seq).padStart(6, '0')}.json`;

/** Which area and batch a stored key belongs to (undefined for a key outside the layout). */
export function keyOwner(key: string): { area: StorageArea; batchId: string } | undefined {
  const m = /^([a-z]+)\/([0-9a-f-]{36})\//.exec(key);
  const area = m?.[1] as StorageArea | undefined;
  return m && area && STORAGE_AREAS.includes(area) ? { area, batchId: m[2]! } : undefined;
}

/**
 * The same key under another batch (a clone): `originals/<from>/x.jpg` → `originals/<to>/x.jpg`. `from` and `to` may
 * go deeper than the batch (`<batch>/<image>` for outputs). A key outside that prefix is kept as it is.
 */
export function rebaseKey(key: string, area: StorageArea, from: string, to: string): string {
  const prefix = `${area}/${from}/`;
  return key.startsWith(prefix) ? `${area}/${to}/${key.slice(prefix.length)}` : key;
}
