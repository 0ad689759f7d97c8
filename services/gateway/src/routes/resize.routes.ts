// One image, one call: runs as a one-image batch and waits a little for the result.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { originalsPrefix } from '@pixmill/contracts';
import { parseRecipe } from '@pixmill/imaging';
import { authOf } from '../auth/auth-context';
import { parseAnalysisOption } from '../batches/batch-options';
import { createUploadBatch } from '../batches/create-batch';
import { imageView } from '../batches/image-view';
import { receiveImages } from '../batches/upload-images';
import { asRecordedUpload } from '../batches/upload-intent';
import { UnprocessableError, ValidationError } from '../errors';
import { parseDeclared } from '../http/request-validation';
import type { RouteModule } from './route-module';

const ResizeFields = z.object({
  width: z.coerce.number().int().min(1).max(16384).optional(),
  height: z.coerce.number().int().min(1).max(16384).optional(),
  fit: z.enum(['cover', 'contain', 'inside', 'outside', 'fill']).optional(),
  position: z.string().optional().describe('centre, attention or entropy'),
  format: z.enum(['jpeg', 'png', 'webp', 'avif', 'original']).optional(),
  quality: z.coerce.number().int().min(1).max(100).optional(),
  max_bytes: z.coerce.number().int().min(100).optional(),
  analysis: z
    .string()
    .optional()
    .describe('`true` for the cheap analyses, or a JSON list / comma-separated kinds (faces, text...)'),
  wait: z.coerce.number().min(0).max(60).default(10),
});

export const resizeRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;

  api.post(
    '/api/v1/resize',
    {
      summary: 'Resize one image',
      description:
        'Answers 200 with the download URL when the image is done within `wait` seconds (default 10), else 202 with the job id to poll.',
      tags: ['resize'],
      access: 'user',
      multipart: {
        fields: ResizeFields,
        files: { image: { description: 'The image (JPEG, PNG, WebP, AVIF, GIF or TIFF)', required: true } },
      },
      responses: {
        200: { description: 'Done: `download_url` is ready' },
        202: { description: 'Still running: poll `GET /api/v1/batches/{job_id}/progress`' },
        422: { description: 'The image could not be processed; `error` says why' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      if (!req.is('multipart/form-data'))
        throw new ValidationError(
          'send the image as multipart/form-data in `image`',
          undefined,
          'unsupported_content_type',
        );
      const jobId = randomUUID();
      await asRecordedUpload(deps, jobId, async () => {
        const upload = await receiveImages(req, res, {
          store,
          keyPrefix: originalsPrefix(jobId),
          fileFields: ['image'],
          limits: { maxFileBytes: settings.MAX_FILE_BYTES, maxFiles: 1 },
        });
        const file = upload.files[0];
        if (!file) throw new ValidationError('no image: send one file in `image`', undefined, 'no_files');
        const f = parseDeclared('form', ResizeFields, upload.fields, 'POST /api/v1/resize');
        let recipe;
        try {
          recipe = parseRecipe({
            variants: [
              {
                name: 'resized',
                width: f.width,
                height: f.height,
                fit: f.fit,
                position: f.position,
                format: f.format,
                quality: f.quality,
                max_bytes: f.max_bytes,
              },
            ],
          });
        } catch (err) {
          throw new ValidationError((err as Error).message, (err as { details?: unknown }).details, 'invalid_options');
        }
        const analysis = parseAnalysisOption(f.analysis, settings);
        await createUploadBatch(prisma, {
          id: jobId,
          ownerId: auth.userId,
          name: file.originalName,
          recipe,
          analysis,
          sourceKind: 'upload',
          autoStart: true,
          images: [
            {
              id: file.imageId,
              originalName: file.originalName,
              originalKey: file.key,
              bytes: file.size,
              contentType: file.contentType,
            },
          ],
        });

        const deadline = Date.now() + f.wait * 1000;
        for (;;) {
          const image = await prisma.image.findUniqueOrThrow({
            where: { id: file.imageId },
            include: { outputs: true },
          });
          // Done once resized and, when analyses were asked for, once they have ended too.
          if (image.status === 'failed' || (image.status === 'succeeded' && image.analysisStatus !== 'pending')) {
            const view = await imageView(image, store, settings.DOWNLOAD_URL_TTL_SECONDS);
            if (image.status === 'failed') {
              throw new UnprocessableError(
                image.errorMessage ?? 'the image could not be processed',
                { job_id: jobId },
                image.errorCode ?? 'processing_failed',
              );
            }
            return void res.status(200).json({
              job_id: jobId,
              status: 'completed',
              download_url: view.outputs[0]?.download_url ?? null,
              output: view.outputs[0] ?? null,
              ...(analysis.length > 0 && { analysis: view.analysis }),
            });
          }
          if (Date.now() >= deadline || req.socket.destroyed) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        res
          .status(202)
          .json({ job_id: jobId, status: 'processing', progress_url: `/api/v1/batches/${jobId}/progress` });
      });
    },
  );
};
