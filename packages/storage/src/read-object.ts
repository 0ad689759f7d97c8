import type { ObjectStore } from './object-store';

export class ObjectTooLargeError extends Error {}

/** Reads a stored object into memory, refusing past `maxBytes` (originals were capped at upload; this guards the rest). */
export async function readObject(store: Pick<ObjectStore, 'get'>, key: string, maxBytes: number): Promise<Buffer> {
  const stream = await store.get(key);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      (stream as { destroy?: () => void }).destroy?.();
      throw new ObjectTooLargeError(`the original is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
