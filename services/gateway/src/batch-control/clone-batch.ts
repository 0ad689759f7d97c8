// A new batch made from an existing one: same recipe, source, chunks and webhook (URL and secret, so a receiver
// verifies both with the same key), new ids, owned by the caller.
//
// Storage objects are copied, not referenced: deleting the source (DELETE removes its prefixes) must not break the
// clone, and a retry in the clone writes outputs under its own prefix. With `copy_results` the clone also takes the
// outcome of every finished image (status, error, outputs, counters); without it every image starts over.
// Images that never got an original (a URL that failed, or a chunk never ingested) are fetched again through their
// chunk when the clone runs.
import { randomUUID } from 'node:crypto';
import { createClone, type CloneRows } from '@pixmill/batch-state';
import { batchPrefixes, chunkManifestKey, rebaseKey } from '@pixmill/contracts';
import type { Batch, Image, Output, Prisma, PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { ObjectStore } from '@pixmill/storage';
import { withAccountWebhook } from '../batches/account-webhook';
import { copyObject, copyObjects, type CopyPlan } from './copy-objects';

export type CloneOptions = { ownerId: string; name: string; copyResults: boolean; autoStart: boolean };
export type CloneDeps = {
  prisma: Pick<PrismaClient, '$transaction' | 'image' | 'chunk' | 'accountWebhook'>;
  store: Pick<ObjectStore, 'get' | 'put' | 'head' | 'deletePrefix'>;
  log: Logger;
};

const PAGE = 1000;

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export async function cloneBatch(d: CloneDeps, source: Batch, o: CloneOptions): Promise<Batch> {
  const id = randomUUID();
  const plan: CopyPlan = new Map();
  const chunkIds = new Map<string, string>();
  const images: CloneRows['images'] = [];
  const outputs: CloneRows['outputs'] = [];

  const chunks = await d.prisma.chunk.findMany({ where: { batchId: source.id }, orderBy: { seq: 'asc' } });
  for (const c of chunks) chunkIds.set(c.id, randomUUID());
  /** Chunks of the clone that must be ingested again: some image lacks its original, or none was ever created. */
  const openChunks = new Set(chunks.map((c) => c.id));
  const chunkWithImages = new Set<string>();

  for (let cursor: string | undefined; ;) {
    const page: (Image & { outputs: Output[] })[] = await d.prisma.image.findMany({
      where: { batchId: source.id },
      include: { outputs: o.copyResults },
      orderBy: { id: 'asc' },
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const img of page) {
      const newId = randomUUID();
      const kept = o.copyResults && (img.status === 'succeeded' || img.status === 'failed') ? img.status : null;
      const keep = kept !== null;
      const originalKey = img.originalKey ? rebaseKey(img.originalKey, 'originals', source.id, id) : null;
      if (img.originalKey && originalKey) plan.set(img.originalKey, originalKey);
      images.push({
        id: newId,
        chunkId: img.chunkId ? (chunkIds.get(img.chunkId) ?? null) : null,
        rowNumber: img.rowNumber,
        urlIndex: img.urlIndex,
        sourceRow: (img.sourceRow ?? undefined) as Prisma.InputJsonValue | undefined,
        sourceUrl: img.sourceUrl,
        originalName: img.originalName,
        originalKey,
        contentType: img.contentType,
        bytes: img.bytes,
        contentHash: img.contentHash,
        kept,
        ...(keep
          ? {
              attempts: img.attempts,
              errorCode: img.errorCode,
              errorMessage: img.errorMessage,
              startedAt: img.startedAt,
              processedAt: img.processedAt,
            }
          : {}),
      });
      if (img.chunkId) {
        chunkWithImages.add(img.chunkId);
        // A chunk is done in the clone only when each of its images has an original or a kept outcome.
        if (!originalKey && !keep) chunkWithImages.add(`open:${img.chunkId}`);
      }
      for (const out of keep ? img.outputs : []) {
        const storageKey = rebaseKey(out.storageKey, 'outputs', `${source.id}/${img.id}`, `${id}/${newId}`);
        plan.set(out.storageKey, storageKey);
        outputs.push({
          imageId: newId,
          variant: out.variant,
          storageKey,
          format: out.format,
          width: out.width,
          height: out.height,
          bytes: out.bytes,
        });
      }
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1]!.id;
  }
  for (const c of chunks) {
    if (chunkWithImages.has(c.id) && !chunkWithImages.has(`open:${c.id}`)) openChunks.delete(c.id);
  }

  try {
    const missing = await copyObjects(d.store, plan);
    if (missing.length > 0)
      d.log.warn({ batchId: source.id, missing: missing.length }, 'clone: source objects missing');
    if (source.sourceKey) {
      const to = rebaseKey(source.sourceKey, 'uploads', source.id, id);
      await copyObject(d.store, source.sourceKey, to);
    }
    for (const c of chunks) await copyManifest(d.store, source.id, id, c.seq);

    // The source's webhook, or (when it had none) the cloner's default, as for any new batch.
    const webhook = await withAccountWebhook(d.prisma, {
      ownerId: o.ownerId,
      webhookUrl: source.webhookUrl ?? undefined,
      webhookSecret: source.webhookSecret ?? undefined,
    });
    return await createClone(d.prisma, {
      batch: {
        id,
        ownerId: o.ownerId,
        name: o.name,
        sourceKind: source.sourceKind,
        recipe: source.recipe as Prisma.InputJsonValue,
        sourceKey: source.sourceKey ? rebaseKey(source.sourceKey, 'uploads', source.id, id) : null,
        sourceColumns: (source.sourceColumns ?? undefined) as Prisma.InputJsonValue | undefined,
        chunkSize: source.chunkSize,
        totalImages: source.totalImages,
        webhookUrl: webhook.webhookUrl ?? null,
        webhookSecret: webhook.webhookSecret ?? null,
        clonedFromId: source.id,
      },
      chunks: chunks.map((c) => ({
        id: chunkIds.get(c.id)!,
        seq: c.seq,
        firstRow: c.firstRow,
        rowCount: c.rowCount,
        urlCount: c.urlCount,
        open: openChunks.has(c.id),
      })),
      images,
      outputs,
      autoStart: o.autoStart,
    });
  } catch (err) {
    // Nothing of a failed clone stays behind.
    for (const prefix of batchPrefixes(id)) await d.store.deletePrefix(prefix).catch(() => undefined);
    throw err;
  }
}

/** The chunk's manifest under the clone's prefix, with the clone's id inside (the worker reads rows, not the id). */
async function copyManifest(store: Pick<ObjectStore, 'get' | 'put' | 'head'>, from: string, to: string, seq: number) {
  const key = chunkManifestKey(from, seq);
  const head = await store.head(key);
  if (!head || head.bytes > MAX_MANIFEST_BYTES) return;
  const parts: Buffer[] = [];
  for await (const part of (await store.get(key)) as AsyncIterable<Buffer>) parts.push(part);
  const manifest = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
  if (manifest.batchId === from) manifest.batchId = to;
  await store.put(chunkManifestKey(to, seq), Buffer.from(JSON.stringify(manifest)), {
    contentType: 'application/json',
  });
}
