// Reads the manifest of one chunk of a URL batch (its shape is @pixmill/contracts' ChunkManifest), bounded in size.
import { ChunkManifest, chunkManifestKey } from '@pixmill/contracts';
import type { ObjectStore } from '@pixmill/storage';

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
