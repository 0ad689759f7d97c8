// Short forms for clients of simpler image services: upload a CSV, poll its status, download the results CSV.
// Each is a thin alias of a /api/v1 route with the field names those clients expect.
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { findOwnedBatch } from '../batches/owned-batch';
import { batchUpload } from '../batches/batch-options';
import { fileFieldNames, type MultipartSpec } from '../openapi/registry';
import { createFromMultipart } from '../batches/url-intake/receive-batch';
import { sendResultsCsv } from '../batches/url-intake/results-csv';
import { ShortStatus, shortStatusView } from '../batches/url-intake/url-batch-view';
import { webhookStatusOf } from '../batches/webhook-status';
import { NotFoundError, ValidationError } from '../errors';
import type { RouteModule } from './route-module';

const Params = z.object({ id: z.string() });
const Accepted = z.object({
  request_id: z.uuid(),
  requestId: z.uuid(),
  status: z.literal('pending'),
  total_images: z.number().int(),
  message: z.string(),
  webhook_secret: z
    .string()
    .optional()
    .describe('Signing secret of the webhooks of this request, when webhook_url was sent; shown only here'),
});
/** The batch upload's fields with its CSV only. */
const csvUpload = { fields: batchUpload.fields, files: { file: batchUpload.files.file } } satisfies MultipartSpec;
const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** The caller's batch, or the 404 these clients expect (the same for unknown, malformed and someone else's). */
async function findRequest(...args: Parameters<typeof findOwnedBatch>) {
  try {
    return await findOwnedBatch(...args);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('Request not found', { request_id: args[2] });
    throw err;
  }
}

export const shortRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.post(
    '/api/upload',
    {
      summary: 'Short form: upload a CSV of image URLs',
      description:
        'Same as POST /api/v1/batches with a CSV. Poll `GET /api/status/{request_id}`, then `GET /api/download/{request_id}`.',
      tags: ['short forms'],
      access: 'user',
      multipart: csvUpload,
      responses: {
        202: {
          description: 'Accepted',
          schema: Accepted,
          headers: {
            Location: {
              description: 'Its status',
              required: true,
              schema: { type: 'string', format: 'uri-reference' },
            },
          },
        },
        400: { description: 'Not a CSV, no URL column, malformed (with its row), or a field is invalid' },
        413: { description: 'The file or its number of rows is over the limit' },
      },
    },
    async (req, res) => {
      if (!req.is('multipart/form-data')) {
        throw new ValidationError(
          'send the CSV as multipart/form-data in `file`',
          undefined,
          'unsupported_content_type',
        );
      }
      const result = await createFromMultipart(deps, req, res, {
        ownerId: authOf(req).userId,
        imageFields: [],
        csvFields: fileFieldNames(csvUpload),
        form: csvUpload.fields,
      });
      res
        .status(202)
        .set('Location', `/api/status/${result.batch.id}`)
        .json({
          request_id: result.batch.id,
          requestId: result.batch.id,
          status: 'pending',
          total_images: result.batch.totalImages,
          message: `accepted ${result.batch.totalImages} image URLs; poll /api/status/${result.batch.id}`,
          ...(result.newWebhookSecret ? { webhook_secret: result.newWebhookSecret } : {}),
        } satisfies z.input<typeof Accepted>);
    },
  );

  api.get(
    '/api/status/:id',
    {
      summary: 'Short form: status of an upload',
      tags: ['short forms'],
      access: 'user',
      params: Params,
      responses: {
        200: { description: 'Status, completion and webhook state', schema: ShortStatus },
        404: { description: 'Request not found (unknown, or not yours)' },
      },
    },
    async (req, res) => {
      const batch = await findRequest(prisma, authOf(req), req.valid.params.id);
      res.set('Cache-Control', 'no-store').json(shortStatusView(batch, await webhookStatusOf(prisma, batch)));
    },
  );

  api.get(
    '/api/download/:id',
    {
      summary: 'Short form: the results CSV, once processing is complete',
      tags: ['short forms'],
      access: 'user',
      params: Params,
      responses: {
        200: { description: 'The results CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
        404: { description: 'No such request of yours, or it is not complete yet' },
      },
    },
    async (req, res) => {
      const batch = await findRequest(prisma, authOf(req), req.valid.params.id);
      if (!FINAL.has(batch.status)) {
        throw new NotFoundError(`the results are not ready: the request is ${batch.status}`, {
          status: batch.status,
          completion_percentage: batch.totalImages
            ? Math.round((batch.processedImages / batch.totalImages) * 1000) / 10
            : 0,
        });
      }
      await sendResultsCsv(res, { prisma, store, ttlSeconds: settings.DOWNLOAD_URL_TTL_SECONDS }, batch);
    },
  );
};
