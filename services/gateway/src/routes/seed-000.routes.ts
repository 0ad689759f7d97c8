// Seed 000's routes, flat as its document shows: upload images as a batch, read its status, list its images. Thin
// aliases of POST /api/v1/batches and GET /api/v1/batches/{id}[/images]. Seed 002 gives two of these paths to web
// pages (GET /batch/{id}, the form's POST /upload): pages/pages.router.ts adds those, chosen by content negotiation.
import { z } from 'zod';
import { BATCH_STATUSES, IMAGE_STATUSES } from '@pixmill/batch-state';
import { authOf } from '../auth/auth-context';
import { batchUpload, batchUploadFields } from '../batches/batch-options';
import { BatchSummary, batchSummary } from '../batches/batch-view';
import { imageView, OutputView } from '../batches/image-view';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { createFromMultipart } from '../batches/url-intake/receive-batch';
import { ValidationError } from '../errors';
import type { RouteModule } from './route-module';

const Created = z.object({
  batch_id: z.uuid(),
  status: z.literal('created'),
  total_images: z.number().int(),
  created_at: z.iso.datetime(),
  batch_name: z.string().nullable(),
  batch_status: z.enum(BATCH_STATUSES).describe('Its status in GET /batch/{id} from now on (queued, or pending)'),
  webhook_secret: z.string().optional().describe('Signing secret of the webhooks of this batch; shown only here'),
});

/** An image's status as the document names it: `processed` once done; pixmill's other statuses as they are. */
const Seed000ImageStatus = z.enum([...IMAGE_STATUSES.filter((s) => s !== 'succeeded'), 'processed']);

const Seed000Image = z.object({
  id: z.uuid(),
  original_name: z.string().nullable(),
  status: Seed000ImageStatus,
  error: z.string().nullable().describe('Why the image failed'),
  error_code: z.string().nullable(),
  created_at: z.iso.datetime(),
  processed_at: z.iso.datetime().nullable(),
  source_url: z.string().nullable().describe('For a batch made from a CSV of URLs'),
  outputs: z.array(OutputView),
});

const Images = z.object({ batch_id: z.uuid(), images: z.array(Seed000Image) });

const UploadQuery = z.object({
  _csrf: z.string().optional().describe("The session's CSRF token, for a browser's form post (see below)"),
});

export const seed000Routes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.post(
    '/upload',
    {
      summary: 'Seed 000: upload images as a batch (and the web form’s upload)',
      description:
        'Multipart `files[]`: the images of the batch (checked by content; JPEG and PNG, and WebP, AVIF, GIF, TIFF). ' +
        'The optional fields of POST /api/v1/batches are taken too, and a `file` CSV of image URLs instead of images. ' +
        'Answers 201 with the new batch, `status: "created"`; follow it at GET /batch/{batch_id}.',
      tags: ['seed 000'],
      access: 'user',
      query: UploadQuery,
      multipart: batchUpload,
      responses: {
        201: {
          description: 'Created',
          schema: Created,
          headers: { Location: { description: 'GET /batch/{batch_id}', schema: { type: 'string' } } },
        },
        400: { description: 'Invalid file type (the file is named), no files, or a field is invalid' },
        413: { description: 'Batch too large: a file, or the number of files, is over its limit' },
      },
    },
    async (req, res) => {
      if (!req.is('multipart/form-data'))
        throw new ValidationError(
          'send the images as multipart/form-data in `files[]`',
          undefined,
          'unsupported_content_type',
        );
      const result = await createFromMultipart(deps, req, res, { ownerId: authOf(req).userId, ...batchUploadFields });
      const b = result.batch;
      res
        .status(201)
        .set('Location', `/batch/${b.id}`)
        .json({
          batch_id: b.id,
          status: 'created',
          total_images: b.totalImages,
          created_at: b.createdAt.toISOString(),
          batch_name: b.name,
          batch_status: b.status,
          ...(result.newWebhookSecret ? { webhook_secret: result.newWebhookSecret } : {}),
        } satisfies z.input<typeof Created>);
    },
  );

  api.get(
    '/batch/:id',
    {
      summary: 'Seed 000: status and progress of a batch (and its web page)',
      description:
        'The batch’s status (pending, queued, processing, paused, completed, failed, cancelled), counts and `progress` ' +
        '(percent of its images processed). The same batch as GET /api/v1/batches/{id}.',
      tags: ['seed 000'],
      access: 'user',
      params: BatchParams,
      responses: {
        200: { description: 'The batch', schema: BatchSummary },
        404: { description: 'Batch not found (or not yours)' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      res.set('Cache-Control', 'no-store').json(batchSummary(batch));
    },
  );

  api.get(
    '/batch/:id/images',
    {
      summary: 'Seed 000: every image of a batch',
      description:
        'Each image with its status (`processed` once done), error, times and outputs with download URLs, in upload ' +
        '(or CSV row) order. GET /api/v1/batches/{id}/images has the same in pages.',
      tags: ['seed 000'],
      access: 'user',
      params: BatchParams,
      responses: {
        200: { description: 'The images', schema: Images },
        404: { description: 'Batch not found (or not yours)' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const images = await prisma.image.findMany({
        where: { batchId: batch.id },
        include: { outputs: true },
        orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }, { id: 'asc' }],
      });
      const views = await Promise.all(
        images.map((img) => imageView(img, store, settings.DOWNLOAD_URL_TTL_SECONDS, batch)),
      );
      res.set('Cache-Control', 'no-store').json({
        batch_id: batch.id,
        images: views.map((v) => ({
          id: v.id,
          original_name: v.original_name,
          status: v.status === 'succeeded' ? 'processed' : v.status,
          error: v.error?.message ?? null,
          error_code: v.error?.code ?? null,
          created_at: v.created_at,
          processed_at: v.processed_at,
          source_url: v.source_url,
          outputs: v.outputs,
        })),
      } satisfies z.input<typeof Images>);
    },
  );
};
