// Image batches: create by upload, read (detail, light progress, SSE events), list images with download URLs.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Prisma } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { batchDetail, batchSummary } from '../batches/batch-view';
import { parseBatchOptions } from '../batches/batch-options';
import { createUploadBatch } from '../batches/create-batch';
import { imageView } from '../batches/image-view';
import { findOwnedBatch } from '../batches/owned-batch';
import { streamBatchEvents } from '../batches/batch-events';
import { receiveImages } from '../batches/upload-images';
import { ValidationError } from '../errors';
import type { RouteModule } from './route-module';

const BatchParams = z.object({ id: z.string() });
const IdempotencyKey = z.string().trim().min(1).max(200);
const CreatedBatch = z.object({
  batch_id: z.uuid(),
  batch_name: z.string().nullable(),
  status: z.string(),
  total_images: z.number().int(),
  created_at: z.iso.datetime(),
  webhook_secret: z.string().optional().describe('Signing secret of the webhooks of this batch; shown only here'),
});
const ImagesQuery = z.object({
  status: z.enum(['pending', 'fetching', 'processing', 'succeeded', 'failed', 'cancelled']).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(50),
});

const multipartBatch = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          'files[]': { type: 'array', items: { type: 'string', format: 'binary' }, description: 'JPEG, PNG, WebP, AVIF, GIF or TIFF images' },
          batch_name: { type: 'string' },
          recipe: { type: 'string', description: 'JSON recipe: { "variants": [ { "name", "width", "height", "fit", "format", "quality", "max_bytes" } ] }' },
          webhook_url: { type: 'string', format: 'uri' },
          auto_start: { type: 'boolean', default: true },
        },
      },
    },
  },
};

export const batchesRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.post(
    '/api/v1/batches',
    {
      summary: 'Create a batch from uploaded images',
      description: 'Files stream to storage as they arrive and are checked by content. An `Idempotency-Key` header makes retries safe: the same key gives the same batch.',
      tags: ['batches'],
      access: 'user',
      requestBody: multipartBatch,
      responses: {
        201: { description: 'Created', schema: CreatedBatch },
        200: { description: 'The batch created earlier with the same Idempotency-Key', schema: CreatedBatch },
        400: { description: 'A file is not a supported image, or a field is invalid' },
        413: { description: 'A file or the batch is too large' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const rawKey = req.get('Idempotency-Key');
      const idempotencyKey = rawKey === undefined ? undefined : IdempotencyKey.parse(rawKey);
      if (idempotencyKey) {
        const earlier = await prisma.batch.findUnique({ where: { ownerId_idempotencyKey: { ownerId: auth.userId, idempotencyKey } } });
        if (earlier) return void res.status(200).set('Idempotent-Replayed', 'true').json(created(earlier));
      }
      if (!req.is('multipart/form-data')) {
        throw new ValidationError('send images as multipart/form-data in files[]', undefined, 'unsupported_content_type');
      }

      const batchId = randomUUID();
      const prefix = `originals/${batchId}/`;
      try {
        const upload = await receiveImages(req, res, {
          store,
          keyPrefix: prefix,
          fileFields: ['files[]', 'files'],
          limits: { maxFileBytes: settings.MAX_FILE_BYTES, maxFiles: settings.MAX_FILES_PER_BATCH },
        });
        if (upload.files.length === 0) throw new ValidationError('no images: send one or more files in files[]', undefined, 'no_files');
        const options = await parseBatchOptions(upload.fields, settings);
        const batch = await createUploadBatch(prisma, {
          id: batchId,
          ownerId: auth.userId,
          name: options.name,
          recipe: options.recipe,
          sourceKind: 'upload',
          autoStart: options.autoStart,
          idempotencyKey,
          webhookUrl: options.webhookUrl,
          webhookSecret: options.webhookSecret,
          images: upload.files.map((f) => ({ id: f.imageId, originalName: f.originalName, originalKey: f.key, bytes: f.size, contentType: f.contentType })),
        });
        res.status(201).json({ ...created(batch), ...(options.newWebhookSecret ? { webhook_secret: options.newWebhookSecret } : {}) });
      } catch (err) {
        // Nothing of a refused upload stays in storage.
        await store.deletePrefix(prefix).catch((e: unknown) => deps.log.warn({ err: e, batchId }, 'could not clean up a refused upload'));
        if (idempotencyKey && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          // A concurrent request with the same key won the race: answer with its batch.
          const earlier = await prisma.batch.findUnique({ where: { ownerId_idempotencyKey: { ownerId: auth.userId, idempotencyKey } } });
          if (earlier) return void res.status(200).set('Idempotent-Replayed', 'true').json(created(earlier));
        }
        throw err;
      }
    },
  );

  api.get(
    '/api/v1/batches/:id',
    {
      summary: 'A batch: progress, timing and performance',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      responses: { 200: { description: 'The batch' }, 404: { description: 'No such batch of yours' } },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), String(req.params.id));
      res.json(batchDetail(batch));
    },
  );

  api.get(
    '/api/v1/batches/:id/progress',
    {
      summary: 'Light progress of a batch, for polling',
      description: '`X-Polling-Interval` says how many seconds to wait before asking again.',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      responses: { 200: { description: 'Progress' }, 404: { description: 'No such batch of yours' } },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), String(req.params.id));
      const active = batch.status === 'queued' || batch.status === 'processing';
      res.set('X-Polling-Interval', active ? '2' : '30').set('Cache-Control', 'no-store').json(batchSummary(batch));
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
      responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), String(req.params.id));
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
      responses: { 200: { description: 'A page of images' }, 404: { description: 'No such batch of yours' } },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), String(req.params.id));
      const q = ImagesQuery.parse(req.query);
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

function created(b: Parameters<typeof batchSummary>[0]) {
  const s = batchSummary(b);
  return { batch_id: s.batch_id, batch_name: s.batch_name, status: s.status, total_images: s.total_images, created_at: s.created_at };
}
