// What URL batches add to a batch: its chunks (the ingest service's units of work) and the results CSV.
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { CHUNK_STATUSES, verifyResultsLink } from '@pixmill/batch-state';
import { NotFoundError } from '../errors';
import { sendResultsCsv } from '../batches/url-intake/results-csv';
import { ChunkView, chunkView, type ChunkImages } from '../batches/url-intake/url-batch-view';
import type { RouteModule } from './route-module';

const ResultsQuery = z.object({
  token: z.string().optional().describe('Signed link token (from a webhook), instead of credentials'),
});

const ChunkPage = z.object({
  batch_id: z.uuid(),
  chunks: z.array(ChunkView).describe('This page of chunks (seed 002 name; the same list as items)'),
  total_chunks: z.number().int().describe('Chunks of the batch, whatever the status filter'),
  chunk_size: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int().describe('Chunks that match the status filter'),
  by_status: z.partialRecord(z.enum(CHUNK_STATUSES), z.number().int()),
  items: z.array(ChunkView),
});

const ChunksQuery = z.object({
  status: z.enum(CHUNK_STATUSES).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(100),
});

export const urlBatchesRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.get(
    '/api/v1/batches/:id/chunks',
    {
      summary: 'The chunks of a URL batch: counts, status, worker and timings',
      description: `A URL batch is split into chunks of up to ${settings.CHUNK_SIZE} URLs; each is one ingest job.`,
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: ChunksQuery,
      responses: {
        200: { description: 'A page of chunks, in input order', schema: ChunkPage },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const where = { batchId: batch.id, ...(q.status ? { status: q.status } : {}) };
      const [total, chunks, byStatus] = await Promise.all([
        prisma.chunk.count({ where }),
        prisma.chunk.findMany({ where, orderBy: { seq: 'asc' }, skip: (q.page - 1) * q.per_page, take: q.per_page }),
        prisma.chunk.groupBy({ by: ['status'], where: { batchId: batch.id }, _count: { _all: true } }),
      ]);
      const counts = await prisma.image.groupBy({
        by: ['chunkId', 'status'],
        where: { chunkId: { in: chunks.map((c) => c.id) } },
        _count: { _all: true },
        _max: { processedAt: true },
      });
      const imagesOf = new Map<string | null, ChunkImages>();
      for (const g of counts) {
        const e = imagesOf.get(g.chunkId) ?? { images: 0, succeeded: 0, failed: 0, lastProcessedAt: null };
        e.images += g._count._all;
        if (g.status === 'succeeded') e.succeeded += g._count._all;
        if (g.status === 'failed') e.failed += g._count._all;
        const at = g._max.processedAt;
        if (at && (!e.lastProcessedAt || at > e.lastProcessedAt)) e.lastProcessedAt = at;
        imagesOf.set(g.chunkId, e);
      }
      const none: ChunkImages = { images: 0, succeeded: 0, failed: 0, lastProcessedAt: null };
      const now = new Date();
      const items = chunks.map((c) => chunkView(c, imagesOf.get(c.id) ?? none, now));
      res.json({
        batch_id: batch.id,
        chunks: items,
        total_chunks: byStatus.reduce((n, s) => n + s._count._all, 0),
        chunk_size: batch.chunkSize,
        page: q.page,
        per_page: q.per_page,
        total,
        by_status: Object.fromEntries(byStatus.map((s) => [s.status, s._count._all])),
        items,
      });
    },
  );

  api.get(
    '/api/v1/batches/:id/results.csv',
    {
      summary: 'Results as CSV: the input rows with their output image URLs, status and error',
      description:
        'Rows in input order with every input column, plus `Output Image Urls` (signed download URLs of the first ' +
        'variant, comma-joined in the order of the input URLs; empty for a failed image), `Status` and `Error`. ' +
        'A product sheet starts `S. No.,Product Name,Input Image Urls,Output Image Urls`. Rows not done yet say `pending`. ' +
        `Download URLs expire after ${settings.DOWNLOAD_URL_TTL_SECONDS} s.`,
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: ResultsQuery,
      // Runs before the router parses the request (it decides whether credentials are needed), so it reads req itself.
      // Webhook receivers have no credentials: the `results_csv_url` of a webhook carries a signed, expiring token.
      signedLink: (req) =>
        typeof req.query.token === 'string' &&
        verifyResultsLink(deps.jwtSecret, String(req.params.id), req.query.token),
      responses: {
        200: { description: 'The results CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const id = req.valid.params.id;
      const batch = req.auth
        ? await findOwnedBatch(prisma, authOf(req), id)
        : await prisma.batch.findUnique({ where: { id } }); // the signed token named this very batch
      if (!batch) throw new NotFoundError('no such batch');
      await sendResultsCsv(res, { prisma, store, ttlSeconds: settings.DOWNLOAD_URL_TTL_SECONDS }, batch);
    },
  );
};
