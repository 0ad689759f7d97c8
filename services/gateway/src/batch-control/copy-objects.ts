// Copies storage objects by streaming them through the gateway (the ObjectStore interface has no server-side copy),
// a few at a time, each object once however many rows share it.
import type { ObjectStore } from '@pixmill/storage';

export type CopyPlan = Map<string, string>;

const CONCURRENCY = 4;

export async function copyObject(store: Pick<ObjectStore, 'get' | 'put' | 'head'>, from: string, to: string) {
  const head = await store.head(from);
  if (!head) return false;
  const body = await store.get(from);
  await store.put(to, body, {
    contentLength: head.bytes,
    ...(head.contentType ? { contentType: head.contentType } : {}),
  });
  return true;
}

/** Copies every `from → to` of the plan; answers the sources that were missing. */
export async function copyObjects(store: Pick<ObjectStore, 'get' | 'put' | 'head'>, plan: CopyPlan): Promise<string[]> {
  const entries = [...plan];
  const missing: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const [from, to] = entries[next++]!;
      if (!(await copyObject(store, from, to))) missing.push(from);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
  return missing;
}
