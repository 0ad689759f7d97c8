// Resize jobs: images uploaded with resize options as form fields (not a recipe), made into one batch whose recipe has
// one output variant, then waited for a little so a quick job answers with its download URL. POST /api/v1/resize and
// seed 001's POST /api/resize and POST /api/batch are all this; they differ in field names and answer shapes only.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AnalysisKind } from '@pixmill/contracts';
import { originalsPrefix } from '@pixmill/contracts';
import type { Image, Output } from '@pixmill/db';
import { parseRecipe } from '@pixmill/imaging';
import { ValidationError } from '../errors';
import { parseDeclared } from '../http/request-validation';
import { parseAnalysisOption } from './batch-options';
import { OutputView } from './image-view';
import { createUploadBatch } from './create-batch';
import type { IntakeDeps } from './url-intake/receive-batch';
import { receiveImages } from './upload-images';
import { asRecordedUpload } from './upload-intent';

/** The options of a resize job, as form fields. */
export const ResizeFields = z.object({
  width: z.coerce.number().int().min(1).max(16384).optional(),
  height: z.coerce.number().int().min(1).max(16384).optional(),
  fit: z.enum(['cover', 'contain', 'inside', 'outside', 'fill']).optional(),
  position: z.string().optional().describe('centre, attention or entropy'),
  format: z.enum(['jpeg', 'png', 'webp', 'avif', 'original']).optional(),
  quality: z.coerce.number().int().min(1).max(100).optional(),
  max_bytes: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .describe('Largest output in bytes: the highest quality that fits is used'),
  analysis: z
    .string()
    .optional()
    .describe('`true` for the cheap analyses, or a JSON list / comma-separated kinds (faces, text...)'),
  wait: z.coerce
    .number()
    .min(0)
    .max(60)
    .default(10)
    .describe('Seconds to wait for the result before answering 202 (default 10)'),
});
export type ResizeOptions = z.output<typeof ResizeFields>;

/** An output as resize answers show it: the same as a batch's images show it. */
export const ResizedOutput = OutputView;

/** The one output variant every image of a resize job gets. */
export const RESIZED_VARIANT = 'resized';

export type ResizeJob = {
  /** The id of the job's batch. */
  jobId: string;
  /** Its images in upload order. */
  images: { id: string; originalName: string }[];
  analysis: AnalysisKind[];
  waitSeconds: number;
};

type ReceiveOptions<F extends z.ZodObject> = {
  ownerId: string;
  /** Form fields the images may come in, and how many at most. */
  fileFields: string[];
  maxFiles: number;
  /** The route's text fields, and how they become ResizeOptions. */
  form: F;
  route: string;
  options: (fields: z.output<F>) => ResizeOptions;
};

/** Streams the images to storage, checks the options, and creates the job's batch (started at once). */
export async function createResizeJob<F extends z.ZodObject>(
  d: IntakeDeps,
  req: Request,
  res: Response,
  o: ReceiveOptions<F>,
): Promise<ResizeJob> {
  if (!req.is('multipart/form-data'))
    throw new ValidationError(
      `send the image${o.maxFiles > 1 ? 's' : ''} as multipart/form-data in \`${o.fileFields[0]}\``,
      undefined,
      'unsupported_content_type',
    );
  const jobId = randomUUID();
  return asRecordedUpload(d, jobId, async () => {
    const upload = await receiveImages(req, res, {
      store: d.store,
      keyPrefix: originalsPrefix(jobId),
      fileFields: o.fileFields,
      limits: { maxFileBytes: d.settings.MAX_FILE_BYTES, maxFiles: o.maxFiles },
    });
    if (upload.files.length === 0)
      throw new ValidationError(
        `no image: send ${o.maxFiles > 1 ? 'image files' : 'one file'} in \`${o.fileFields[0]}\``,
        { fields: o.fileFields },
        'no_files',
      );
    const f = o.options(parseDeclared('form', o.form, upload.fields, o.route));
    let recipe;
    try {
      recipe = parseRecipe({
        variants: [
          {
            name: RESIZED_VARIANT,
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
    const analysis = parseAnalysisOption(f.analysis, d.settings);
    await createUploadBatch(d.prisma, {
      id: jobId,
      ownerId: o.ownerId,
      name: upload.files.length === 1 ? upload.files[0]!.originalName : undefined,
      recipe,
      analysis,
      sourceKind: 'upload',
      autoStart: true,
      images: upload.files.map((file) => ({
        id: file.imageId,
        originalName: file.originalName,
        originalKey: file.key,
        bytes: file.size,
        contentType: file.contentType,
      })),
    });
    return {
      jobId,
      images: upload.files.map((file) => ({ id: file.imageId, originalName: file.originalName })),
      analysis,
      waitSeconds: f.wait,
    };
  });
}

type ImageWithOutputs = Image & { outputs: Output[] };

/** An image is done once resized (or failed, or cancelled) and, when analyses were asked for, once they ended too. */
export const imageDone = (img: Pick<Image, 'status' | 'analysisStatus'>): boolean =>
  img.status === 'failed' ||
  img.status === 'cancelled' ||
  (img.status === 'succeeded' && img.analysisStatus !== 'pending');

/**
 * Waits up to `waitSeconds` (less if the client goes away) for every image of a job to be done; answers them as they
 * are then, in upload order.
 */
export async function waitForImages(
  d: Pick<IntakeDeps, 'prisma'>,
  req: Request,
  job: Pick<ResizeJob, 'images' | 'waitSeconds'>,
): Promise<ImageWithOutputs[]> {
  const deadline = Date.now() + job.waitSeconds * 1000;
  const ids = job.images.map((i) => i.id);
  for (;;) {
    const found = await d.prisma.image.findMany({ where: { id: { in: ids } }, include: { outputs: true } });
    const byId = new Map(found.map((img) => [img.id, img]));
    const images = ids.map((id) => byId.get(id)).filter((img): img is ImageWithOutputs => img !== undefined);
    if (images.every(imageDone) || Date.now() >= deadline || req.socket.destroyed) return images;
    await new Promise((r) => setTimeout(r, 100));
  }
}
