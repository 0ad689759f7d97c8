// Batches written straight to the database and storage, in any state, for tests of the routes that read or
// control them (making real ones through the pipeline is the end-to-end suite's job).
import { randomUUID } from 'node:crypto';
import type { BatchStatus, ImageStatus, SourceKind } from '@pixmill/db';
import type { TestGateway } from './support';

export type SeedImage = {
  status?: ImageStatus;
  name?: string;
  sourceUrl?: string;
  /** Output variants stored for the image (succeeded images get `thumb` by default). */
  variants?: string[];
  errorCode?: string;
  errorMessage?: string;
  processedAt?: Date;
  startedAt?: Date;
  /** false: no original stored (a URL that failed before fetching). */
  original?: boolean;
  sourceRow?: Record<string, string>;
};

export type SeedBatch = {
  status?: BatchStatus;
  name?: string;
  images?: SeedImage[];
  webhookUrl?: string;
  sourceKind?: SourceKind;
  createdAt?: Date;
  startedAt?: Date;
  /** When the batch row last changed (health reads it as the last activity). */
  updatedAt?: Date;
};

export type Seeded = { id: string; imageIds: string[]; originalKeys: string[]; outputKeys: string[] };

export async function seedBatch(gw: TestGateway, ownerId: string, b: SeedBatch = {}): Promise<Seeded> {
  const { prisma, store } = gw.deps;
  const id = randomUUID();
  const images = b.images ?? [{}];
  const count = (s: ImageStatus) => images.filter((i) => (i.status ?? 'pending') === s).length;
  const status = b.status ?? 'pending';
  await prisma.batch.create({
    data: {
      id,
      ownerId,
      name: b.name ?? `batch ${id.slice(0, 6)}`,
      status,
      sourceKind: b.sourceKind ?? 'upload',
      recipe: { variants: [{ name: 'thumb', width: 64, fit: 'inside', position: 'centre', format: 'webp' }] },
      totalImages: images.length,
      processedImages: count('succeeded') + count('failed'),
      succeededImages: count('succeeded'),
      failedImages: count('failed'),
      webhookUrl: b.webhookUrl ?? null,
      webhookSecret: b.webhookUrl ? 'whsec_test' : null,
      createdAt: b.createdAt ?? new Date(),
      ...(b.updatedAt ? { updatedAt: b.updatedAt } : {}),
      startedAt: b.startedAt ?? (['pending', 'queued'].includes(status) ? null : new Date(Date.now() - 60_000)),
      completedAt: ['completed', 'failed', 'cancelled'].includes(status) ? new Date() : null,
    },
  });
  const out: Seeded = { id, imageIds: [], originalKeys: [], outputKeys: [] };
  for (const [n, img] of images.entries()) {
    const imageId = randomUUID();
    const st = img.status ?? 'pending';
    const originalKey = img.original === false ? null : `originals/${id}/${imageId}.jpg`;
    if (originalKey) {
      await store.put(originalKey, Buffer.from(`original ${n}`), { contentType: 'image/jpeg' });
      out.originalKeys.push(originalKey);
    }
    const done = st === 'succeeded' || st === 'failed';
    await prisma.image.create({
      data: {
        id: imageId,
        batchId: id,
        rowNumber: n + 1,
        status: st,
        originalName: img.name ?? (img.sourceUrl ? null : `photo-${n + 1}.jpg`),
        sourceUrl: img.sourceUrl ?? null,
        sourceRow: img.sourceRow ?? undefined,
        originalKey,
        bytes: 100 + n,
        contentType: 'image/jpeg',
        startedAt: img.startedAt ?? (done ? new Date(Date.now() - 5_000) : null),
        processedAt: img.processedAt ?? (done ? new Date() : null),
        errorCode: st === 'failed' ? (img.errorCode ?? 'corrupt') : null,
        errorMessage: st === 'failed' ? (img.errorMessage ?? 'image data is corrupt') : null,
      },
    });
    out.imageIds.push(imageId);
    for (const variant of img.variants ?? (st === 'succeeded' ? ['thumb'] : [])) {
      const storageKey = `outputs/${id}/${imageId}/${variant}.webp`;
      await store.put(storageKey, Buffer.from(`output ${n} ${variant}`), { contentType: 'image/webp' });
      await prisma.output.create({
        data: { imageId, variant, storageKey, format: 'webp', width: 64, height: 48, bytes: 1000 + n },
      });
      out.outputKeys.push(storageKey);
    }
  }
  return out;
}

/** The objects under a prefix that still exist, among the given keys. */
export async function existing(gw: TestGateway, keys: string[]): Promise<string[]> {
  const heads = await Promise.all(keys.map((k) => gw.deps.store.head(k)));
  return keys.filter((_, i) => heads[i] !== null);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
