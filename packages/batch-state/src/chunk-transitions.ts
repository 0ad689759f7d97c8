// The states of a URL chunk and of its images while the ingest worker fetches them. Each write is guarded by the
// state it leaves, so a redelivered chunk job changes nothing twice.
// The chunk state table is in the package README.
import type { ImageFailureCode } from '@pixmill/contracts';
import type { Prisma, PrismaClient } from '@pixmill/db';
import { enqueueMany } from '@pixmill/queue';
import { finishImage } from './finish-image';
import { UNTAKEN_IMAGE_STATUSES } from './status-sets';

type Db = Pick<PrismaClient, 'batch' | 'chunk' | 'image'>;

/** The chunk's images still waiting for their original (not taken, nothing stored yet). */
const withoutOriginal = (chunkId: string) =>
  ({ chunkId, status: { in: [...UNTAKEN_IMAGE_STATUSES] }, originalKey: null }) satisfies Prisma.ImageWhereInput;

export type NewChunkImage = Pick<Prisma.ImageCreateManyInput, 'rowNumber' | 'urlIndex' | 'sourceUrl' | 'sourceRow'>;

/**
 * The chunk's image rows (`pending`), created once: the chunk row is locked while checking, so two deliveries of the
 * same job (a redelivery racing a slow first attempt) never create them twice.
 */
export async function createChunkImages(
  prisma: Pick<PrismaClient, '$transaction'>,
  chunk: { id: string; batchId: string },
  images: NewChunkImage[],
): Promise<{ created: number }> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM chunks WHERE id = ${chunk.id}::uuid FOR UPDATE`;
      if ((await tx.image.count({ where: { chunkId: chunk.id } })) > 0) return { created: 0 };
      if (images.length > 0)
        await tx.image.createMany({ data: images.map((i) => ({ ...i, batchId: chunk.batchId, chunkId: chunk.id })) });
      return { created: images.length };
    },
    { timeout: 60_000 },
  );
}

export type OpenChunkImage = { id: string; rowNumber: number | null; urlIndex: number; sourceUrl: string | null };

/** The chunk's images still waiting for their original, in row and URL order. */
export function openChunkImages(prisma: Pick<PrismaClient, 'image'>, chunkId: string): Promise<OpenChunkImage[]> {
  return prisma.image.findMany({
    where: withoutOriginal(chunkId),
    select: { id: true, rowNumber: true, urlIndex: true, sourceUrl: true },
    orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }],
  });
}

/** The chunk is being fetched by `worker`; its batch, when it was queued, now runs. */
export async function takeChunk(
  prisma: Pick<PrismaClient, 'batch' | 'chunk'>,
  chunk: { id: string; batchId: string; startedAt: Date | null },
  worker: string,
  startedAt: Date,
): Promise<void> {
  await prisma.chunk.updateMany({
    where: { id: chunk.id, status: { in: ['pending', 'processing'] } },
    data: { status: 'processing', worker, startedAt: chunk.startedAt ?? startedAt, completedAt: null },
  });
  await prisma.batch.updateMany({
    where: { id: chunk.batchId, status: 'queued' },
    data: { status: 'processing', startedAt },
  });
}

/** Every image of the chunk still waiting for its original is now being fetched (one statement for the chunk). */
export async function markChunkFetching(prisma: Pick<PrismaClient, 'image'>, chunkId: string): Promise<void> {
  await prisma.image.updateMany({
    where: { chunkId, status: 'pending', originalKey: null },
    data: { status: 'fetching', startedAt: new Date() },
  });
}

export type StoredOriginal = { imageId: string; originalKey: string; contentType: string | null; bytes: number | null };

/**
 * Images whose original is stored go back to `pending` with it, and get their resize jobs, in one transaction: one
 * statement updates every image still open (a redelivery or a racing duplicate changes nothing twice), one writes
 * the jobs of the images it did update. Answers how many it took.
 */
export async function recordOriginals(
  prisma: Pick<PrismaClient, '$transaction'>,
  c: { batchId: string; chunkId: string },
  originals: StoredOriginal[],
): Promise<number> {
  const ids = originals.map((o) => o.imageId);
  const keys = originals.map((o) => o.originalKey);
  const types = originals.map((o) => o.contentType);
  const sizes = originals.map((o) => o.bytes);
  return prisma.$transaction(async (tx) => {
    const taken = await tx.$queryRaw<{ id: string }[]>`
      UPDATE images AS i
         SET original_key = v.key, content_type = v.content_type, bytes = v.bytes, status = 'pending'
        FROM unnest(${ids}::uuid[], ${keys}::text[], ${types}::text[], ${sizes}::int[]) AS v(id, key, content_type, bytes)
       WHERE i.id = v.id
         AND i.batch_id = ${c.batchId}::uuid
         AND i.status IN ('pending', 'fetching')
         AND i.original_key IS NULL
      RETURNING i.id::text AS id`;
    await enqueueMany(
      tx,
      'resize.image',
      taken.map(({ id }) => ({ v: 1 as const, batchId: c.batchId, imageId: id })),
    );
    if (taken.length > 0)
      await tx.chunk.update({ where: { id: c.chunkId }, data: { fetched: { increment: taken.length } } });
    return taken.length;
  });
}

/** The chunk's counts, from its images: originals stored, and URLs that failed. */
async function fetchCounts(prisma: Pick<PrismaClient, 'image'>, chunkId: string) {
  const [fetched, failed] = await Promise.all([
    prisma.image.count({ where: { chunkId, originalKey: { not: null } } }),
    prisma.image.count({ where: { chunkId, originalKey: null, status: 'failed' } }),
  ]);
  return { fetched, failed };
}

export type SettledChunk = { status: 'completed' | 'pending'; fetched: number; failed: number; open: number };

/** Ends a chunk's delivery from the images themselves (exact whatever happened before): completed, or pending again. */
export async function settleChunk(prisma: Db, chunkId: string): Promise<SettledChunk> {
  const [open, { fetched, failed }] = await Promise.all([
    prisma.image.count({ where: withoutOriginal(chunkId) }),
    fetchCounts(prisma, chunkId),
  ]);
  // Open images left means the batch stopped (pause, worker stopping): they and the chunk go back to pending.
  const status = open === 0 ? ('completed' as const) : ('pending' as const);
  if (open > 0) {
    await prisma.image.updateMany({
      where: { chunkId, status: 'fetching', originalKey: null },
      data: { status: 'pending', startedAt: null },
    });
  }
  await prisma.chunk.updateMany({
    where: { id: chunkId, status: 'processing' },
    data: { status, fetched, failed, completedAt: open === 0 ? new Date() : null },
  });
  return { status, fetched, failed, open };
}

/**
 * Images of the chunk whose URL failed: each fails (counted once by finishImage) and the chunk's live `failed` count
 * grows by those this call ended (settleChunk recounts from the images when the chunk ends). Answers that number.
 */
export async function failChunkImages(
  prisma: Pick<PrismaClient, '$queryRaw' | 'chunk'>,
  c: { batchId: string; chunkId: string },
  imageIds: string[],
  code: ImageFailureCode,
  message: string,
): Promise<number> {
  let counted = 0;
  for (const id of imageIds) {
    const r = await finishImage(prisma, c.batchId, id, { status: 'failed', code, message });
    if (r.counted) counted++;
  }
  if (counted > 0) await prisma.chunk.update({ where: { id: c.chunkId }, data: { failed: { increment: counted } } });
  return counted;
}

/** The chunk's last delivery failed: its images without an original fail (each counted once), and so does the chunk. */
export async function failChunk(
  prisma: Db & Pick<PrismaClient, '$queryRaw'>,
  chunk: { id: string; batchId: string },
  message: string,
): Promise<void> {
  const open = await prisma.image.findMany({ where: withoutOriginal(chunk.id), select: { id: true } });
  for (const img of open)
    await finishImage(prisma, chunk.batchId, img.id, { status: 'failed', code: 'internal_error', message });
  const { fetched, failed } = await fetchCounts(prisma, chunk.id);
  await prisma.chunk.update({
    where: { id: chunk.id },
    data: { status: 'failed', fetched, failed, completedAt: new Date() },
  });
}
