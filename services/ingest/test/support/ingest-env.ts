// An ingest handler over real PostgreSQL and S3 (s3rver), with URL batches made the way the gateway makes them:
// a batch, its chunks and their manifests (first occurrences of repeated URLs marked).
import { loadSettings, type Settings } from '@pixmill/config';
import type { PrismaClient } from '@pixmill/db';
import { createTestDatabase } from '@pixmill/db/testing';
import { createLogger } from '@pixmill/observability';
import type { Lookup } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import { startTestS3 } from '@pixmill/storage/testing';
import { chunkManifestKey, type ChunkManifest } from '@pixmill/contracts';
import { makeIngestChunkHandler, type IngestDeps } from '../../src/handlers/ingest-chunk.handler';
import { createImageFetcher } from '../../src/worker';

export type IngestEnv = {
  prisma: PrismaClient;
  store: ObjectStore;
  settings: Settings;
  /** A queued URL batch; each inner array is one chunk, each string one row's URL cell (comma-separated URLs allowed). */
  batch(chunks: string[][]): Promise<{ batchId: string; chunkIds: string[] }>;
  handler(over?: Partial<IngestDeps>): ReturnType<typeof makeIngestChunkHandler>;
  run(batchId: string, chunkId: string, o?: { attempt?: number; deps?: Partial<IngestDeps> }): Promise<void>;
  close(): Promise<void>;
};

export async function startIngestEnv(o: {
  allowHosts: string[];
  lookup?: Lookup;
  settings?: Partial<Settings>;
}): Promise<IngestEnv> {
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const settings: Settings = {
    ...loadSettings({}),
    LOG_LEVEL: 'silent',
    FETCH_ALLOW_HOSTS: o.allowHosts,
    FETCH_CONNECT_TIMEOUT_MS: 1_000,
    FETCH_TIMEOUT_MS: 1_500,
    MAX_FILE_BYTES: 256 * 1024,
    FETCH_CONCURRENCY: 4,
    QUEUE_MAX_ATTEMPTS: 3,
    ...o.settings,
  };
  const fetcher = createImageFetcher(settings, o.lookup);
  const owner = await db.prisma.user.create({ data: { username: `owner-${Date.now()}`, passwordHash: 'x' } });
  const log = createLogger('ingest-test', 'silent');

  const handler = (over: Partial<IngestDeps> = {}) =>
    makeIngestChunkHandler({
      prisma: db.prisma,
      store: s3.store,
      fetcher,
      log,
      settings,
      worker: 'test-host/1',
      retry: { attempts: 2, baseDelayMs: 10 },
      statusCheckMs: 0,
      ...over,
    });

  return {
    prisma: db.prisma,
    store: s3.store,
    settings,
    handler,
    async batch(chunks) {
      const firstSeen = new Map<string, [number, number]>();
      let row = 0;
      let total = 0;
      const plans = chunks.map((cells) => {
        const firstRow = row + 1;
        const rows = cells.map((cell) => {
          row++;
          const urls = cell
            .split(/,(?=\s*[a-z]+:)/)
            .map((u) => u.trim())
            .filter(Boolean);
          total += urls.length;
          return {
            row,
            cells: [cell],
            urls: urls.map((url, i) => {
              const first = firstSeen.get(url);
              if (!first) firstSeen.set(url, [row, i]);
              return first ? { url, dupOf: first } : { url };
            }),
          };
        });
        return { firstRow, rows };
      });
      const batch = await db.prisma.batch.create({
        data: {
          ownerId: owner.id,
          status: 'queued',
          sourceKind: 'csv',
          recipe: {},
          sourceColumns: ['Input Image Urls'],
          totalImages: total,
          chunkSize: 10,
        },
      });
      const chunkIds: string[] = [];
      for (const [i, p] of plans.entries()) {
        const seq = i + 1;
        const chunk = await db.prisma.chunk.create({
          data: { batchId: batch.id, seq, firstRow: p.firstRow, rowCount: p.rows.length },
        });
        chunkIds.push(chunk.id);
        const manifest: ChunkManifest = {
          v: 1,
          batchId: batch.id,
          seq,
          firstRow: p.firstRow,
          rowCount: p.rows.length,
          rows: p.rows,
        };
        await s3.store.put(chunkManifestKey(batch.id, seq), Buffer.from(JSON.stringify(manifest)));
      }
      return { batchId: batch.id, chunkIds };
    },
    run(batchId, chunkId, r = {}) {
      return handler(r.deps)(
        { v: 1, batchId, chunkId },
        { messageId: `m-${chunkId}`, attempt: r.attempt ?? 1, redelivered: false },
      );
    },
    async close() {
      await fetcher.close();
      await s3.close();
      await db.drop();
    },
  };
}

export type ImageRow = Awaited<ReturnType<typeof imagesOf>>[number];

export function imagesOf(prisma: PrismaClient, batchId: string) {
  return prisma.image.findMany({ where: { batchId }, orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }] });
}

export async function resizeJobs(prisma: PrismaClient, batchId: string): Promise<string[]> {
  const rows = await prisma.outboxMessage.findMany({
    where: { queue: 'resize.image', payload: { path: ['batchId'], equals: batchId } },
  });
  return rows.map((r) => (r.payload as { imageId: string }).imageId).sort();
}
