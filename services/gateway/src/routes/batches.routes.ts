// Batches: create (uploaded images, a CSV or a JSON list of URLs), read (detail, light progress, SSE events), list images with download URLs.
import { z } from 'zod';
import { IMAGE_STATUSES } from '@pixmill/batch-state';
import { Prisma, type Batch } from '@pixmill/db';
import type { Response } from 'express';
import type { ValidRequest } from '../http/api-router';
import { authOf } from '../auth/auth-context';
import {
  BatchDetail,
  batchDetail,
  BatchProgress,
  batchProgressView,
  batchSummary,
  CreatedBatchInfo,
  createdBatchInfo,
  pollingInterval,
  POLLING_INTERVAL_HEADER,
} from '../batches/batch-view';
import { chunkProgressOf } from '../batches/chunk-progress';
import { webhookStatusOf } from '../batches/webhook-status';
import { ImageView, imageView } from '../batches/image-view';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { streamBatchEvents } from '../batches/batch-events';
import { createFromMultipart, createFromUrlList, type CreatedBatch } from '../batches/url-intake/receive-batch';
import { createdUrlBatch, CreatedUrlBatch } from '../batches/url-intake/url-batch-view';
import { UrlListBody } from '../batches/url-intake/url-list';
import { ValidationError } from '../errors';
import { batchUpload, batchUploadFields } from '../batches/batch-options';
import type { RouteModule } from './route-module';

const BatchHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Makes retries safe: a second request with the same key answers the batch the first one created'),
});
const createdHeaders = {
  Location: { description: 'The new batch', required: true, schema: { type: 'string', format: 'uri-reference' } },
};
const CreatedBatch = z.object({
  batch_id: z.uuid(),
  batch_name: z.string().nullable(),
  status: z.string(),
  total_images: z.number().int(),
  created_at: z.iso.datetime(),
  webhook_secret: z.string().optional().describe('Signing secret of the webhooks of this batch; shown only here'),
  batch_info: CreatedBatchInfo,
});
const ImagesQuery = z.object({
  status: z.enum(IMAGE_STATUSES).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(50),
});

export const batchesRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.post(
    '/api/v1/batches',
    {
      summary: 'Create a batch: uploaded images, a CSV of image URLs, or a JSON list of URLs',
      description:
        'Images (multipart `files[]`) stream to storage as they arrive and are checked by content; answered 201. ' +
        'A CSV (multipart `file`) with a `url` column or the product sheet columns `S. No.`, `Product Name`, `Input Image Urls` ' +
        '(several comma-separated URLs in one cell), or JSON `{ "urls": [...] }`, makes a URL batch: stored, counted and split ' +
        `into chunks of ${settings.CHUNK_SIZE} URLs while it streams in, then answered 202; the ingest service fetches the URLs. ` +
        'An `Idempotency-Key` header makes retries safe: the same key gives the same batch.',
      tags: ['batches'],
      access: 'user',
      body: UrlListBody,
      headers: BatchHeaders,
      jsonLimit: settings.MAX_CSV_BYTES,
      multipart: batchUpload,
      responses: {
        201: { description: 'Image batch created', schema: CreatedBatch, headers: createdHeaders },
        202: {
          description: 'URL batch accepted; its URLs are fetched in the background',
          schema: CreatedUrlBatch,
          headers: createdHeaders,
        },
        200: {
          description: 'The batch created earlier with the same Idempotency-Key',
          schema: CreatedBatch,
          headers: {
            'Idempotent-Replayed': { description: 'Always `true`: this is a replay', schema: { const: 'true' } },
          },
        },
        400: {
          description:
            'A file is not a supported image, the CSV is malformed (with its row) or has no URL column, or a field is invalid',
        },
        413: { description: 'A file, the batch, or the number of CSV rows or URLs is over its limit' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const idempotencyKey = req.valid.headers['Idempotency-Key'];
      const replay = async () => {
        if (!idempotencyKey) return false;
        const earlier = await prisma.batch.findUnique({
          where: { ownerId_idempotencyKey: { ownerId: auth.userId, idempotencyKey } },
        });
        if (!earlier) return false;
        const chunks = await prisma.chunk.count({ where: { batchId: earlier.id } });
        res.locals.message = createdMessage(earlier);
        res.status(200).set('Idempotent-Replayed', 'true').json(created(earlier, chunks));
        return true;
      };
      if (await replay()) return;

      let result: CreatedBatch;
      try {
        if (req.is('multipart/form-data')) {
          result = await createFromMultipart(deps, req, res, {
            ownerId: auth.userId,
            idempotencyKey,
            ...batchUploadFields,
          });
        } else if (req.valid.body) {
          result = await createFromUrlList(deps, req.valid.body, { ownerId: auth.userId, idempotencyKey });
        } else {
          throw new ValidationError(
            'send images or a CSV as multipart/form-data (`files[]` or `file`), or JSON `{ "urls": [...] }`',
            undefined,
            'unsupported_content_type',
          );
        }
      } catch (err) {
        // A concurrent request with the same key won the race: answer with its batch.
        if (
          idempotencyKey &&
          err instanceof Prisma.PrismaClientKnownRequestError &&
          err.code === 'P2002' &&
          (await replay())
        )
          return;
        throw err;
      }
      const secret = result.newWebhookSecret ? { webhook_secret: result.newWebhookSecret } : {};
      res.set('Location', `/api/v1/batches/${result.batch.id}`);
      res.locals.message = createdMessage(result.batch);
      if (result.kind === 'images') return void res.status(201).json({ ...created(result.batch, 0), ...secret });
      res.status(202).json({ ...createdUrlBatch(result.batch, result.intake), ...secret });
    },
  );

  const detail = async (req: ValidRequest<ReturnType<typeof detailSpec>>, res: Response) => {
    const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
    const [webhookStatus, chunks] = await Promise.all([webhookStatusOf(prisma, batch), chunkProgressOf(prisma, batch)]);
    res
      .set(POLLING_INTERVAL_HEADER, pollingInterval(batch))
      .set('Cache-Control', 'no-store')
      .json(batchDetail({ ...batch, webhookStatus }, chunks));
  };
  const pollingHeaders = {
    [POLLING_INTERVAL_HEADER]: {
      description: 'Seconds to wait before asking again: short while the batch runs, long once it waits or is over',
      schema: { type: 'integer' },
    },
  };
  const detailSpec = (summary: string, description?: string) => ({
    summary,
    ...(description ? { description } : {}),
    tags: ['batches'],
    access: 'user' as const,
    params: BatchParams,
    responses: {
      200: { description: 'The batch', schema: BatchDetail, headers: pollingHeaders },
      404: { description: 'No such batch of yours' },
    },
  });
  api.get('/api/v1/batches/:id', detailSpec('A batch: progress, chunks, timing and performance'), detail);
  api.get(
    '/api/v1/batch/:id',
    detailSpec('A batch (seed 002 path)', 'The same answer as `GET /api/v1/batches/{id}`.'),
    detail,
  );
  api.get(
    '/api/v1/batches/:id/status',
    detailSpec(
      'Status of a batch, for polling and monitoring',
      'The same answer as `GET /api/v1/batches/{id}`; `X-Polling-Interval` says how many seconds to wait before asking again.',
    ),
    detail,
  );

  api.get(
    '/api/v1/batches/:id/progress',
    {
      summary: 'Light progress of a batch, for polling',
      description:
        '`X-Polling-Interval` says how many seconds to wait before asking again; `is_active` turns false when the ' +
        'batch is over (or waits: pending, paused).',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      responses: {
        200: { description: 'Progress', schema: BatchProgress, headers: pollingHeaders },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const [webhookStatus, chunks] = await Promise.all([
        webhookStatusOf(prisma, batch),
        chunkProgressOf(prisma, batch),
      ]);
      res
        .set(POLLING_INTERVAL_HEADER, pollingInterval(batch))
        .set('Cache-Control', 'no-store')
        .json(batchProgressView({ ...batch, webhookStatus }, chunks));
    },
  );

  api.get(
    '/api/v1/batches/:id/events',
    {
      summary: 'Progress as Server-Sent Events',
      description: '`progress` events as images finish, then one `end` event when the batch is final.',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      responses: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      await streamBatchEvents(req, res, prisma, batch.id);
    },
  );

  api.get(
    '/api/v1/batches/:id/images',
    {
      summary: 'The images of a batch, with their outputs and download URLs',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: ImagesQuery,
      responses: {
        200: {
          description: 'A page of images',
          schema: z.object({
            batch_id: z.uuid(),
            page: z.number().int(),
            per_page: z.number().int(),
            total: z.number().int(),
            items: z.array(ImageView),
          }),
        },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const where = { batchId: batch.id, ...(q.status ? { status: q.status } : {}) };
      const [total, images] = await Promise.all([
        prisma.image.count({ where }),
        prisma.image.findMany({
          where,
          include: { outputs: true },
          orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }, { id: 'asc' }],
          skip: (q.page - 1) * q.per_page,
          take: q.per_page,
        }),
      ]);
      res.json({
        batch_id: batch.id,
        page: q.page,
        per_page: q.per_page,
        total,
        items: await Promise.all(images.map((img) => imageView(img, store, settings.DOWNLOAD_URL_TTL_SECONDS))),
      });
    },
  );
};

function created(b: Parameters<typeof batchSummary>[0], chunks: number) {
  const s = batchSummary(b);
  return {
    batch_id: s.batch_id,
    batch_name: s.batch_name,
    status: s.status,
    total_images: s.total_images,
    created_at: s.created_at,
    batch_info: createdBatchInfo(b, chunks),
  };
}

/** The envelope's `message` of a create answer: seed 002's words when it started. */
const createdMessage = (b: Pick<Batch, 'id' | 'status'>) =>
  b.status === 'pending'
    ? `Batch created; start it with POST /api/v1/batches/${b.id}/start`
    : 'Batch created and processing started';
