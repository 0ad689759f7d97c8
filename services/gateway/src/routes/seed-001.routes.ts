// Seed 001's routes, flat as its document shows: resize one image, resize several (each image a sub-job), poll the
// progress of either. Thin aliases of the resize jobs of POST /api/v1/resize (batches/resize-job.ts): a job is a
// batch, a sub-job one of its images, so a job id is a batch id or an image id.
import { z } from 'zod';
import { BATCH_STATUSES } from '@pixmill/batch-state';
import { isUuid } from '@pixmill/contracts';
import type { Image, Output } from '@pixmill/db';
import { authOf, type AuthContext } from '../auth/auth-context';
import { batchProgress } from '../batches/batch-view';
import { imageView } from '../batches/image-view';
import {
  createResizeJob,
  imageDone,
  ResizedOutput,
  ResizeFields,
  waitForImages,
  type ResizeOptions,
} from '../batches/resize-job';
import { NotFoundError, UnprocessableError, ValidationError } from '../errors';
import type { RouteModule } from './route-module';

/** The resize options, with the document's name for the largest output size beside pixmill's. */
const Seed001Fields = ResizeFields.extend({
  max_size: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .describe('Largest output in bytes (the same as `max_bytes`; send one of them)'),
});

function resizeOptions(f: z.output<typeof Seed001Fields>): ResizeOptions {
  const { max_size, ...rest } = f;
  if (max_size !== undefined && rest.max_bytes !== undefined && max_size !== rest.max_bytes)
    throw new ValidationError(
      'max_size and max_bytes are the same option: send one of them',
      { fields: ['max_size', 'max_bytes'] },
      'conflicting_fields',
    );
  return { ...rest, max_bytes: rest.max_bytes ?? max_size };
}

const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
type JobStatus = (typeof JOB_STATUSES)[number];

const ImageJob = z.object({
  job_id: z.uuid().describe('The image job: poll `GET /api/progress/{job_id}`'),
  original_name: z.string().nullable(),
  status: z.enum(JOB_STATUSES),
  progress: z.number().min(0).max(100),
  download_url: z.string().nullable().describe('The resized image (a presigned URL), once completed'),
  output: ResizedOutput.nullable(),
  error: z.string().nullable().describe('Why the image failed, once failed'),
  error_code: z.string().nullable(),
  progress_url: z.string(),
});

const ResizeAnswer = ImageJob.omit({ original_name: true }).extend({
  batch_id: z.uuid().describe('The one-image batch the job runs as (GET /api/v1/batches/{id})'),
  analysis: z.unknown().optional().describe('What the analyses found, when `analysis` was asked for'),
});

const BatchAnswer = z.object({
  batch_job_id: z.uuid(),
  job_id: z.uuid().describe('The same as `batch_job_id`'),
  experimental: z.literal(true).describe('Batch resizing is experimental'),
  status: z.enum(BATCH_STATUSES),
  progress: z.number().min(0).max(100),
  total_images: z.number().int(),
  progress_url: z.string(),
  image_jobs: z.array(ImageJob),
});

const Progress = z.object({
  progress: z.number().min(0).max(100).describe('Percent done, 0-100'),
  job_id: z.uuid(),
  kind: z.enum(['batch', 'image']).describe('A batch job (`batch_job_id`) or an image job (`job_id` of an image)'),
  status: z
    .string()
    .describe('A batch job: the batch status. An image job: pending, processing, completed, failed or cancelled'),
  download_url: z.string().nullable().optional().describe('An image job: the resized image, once completed'),
  error: z.string().nullable().optional().describe('An image job: why it failed'),
});

const progressUrl = (jobId: string) => `/api/progress/${jobId}`;

function jobStatus(img: Pick<Image, 'status' | 'analysisStatus'>): JobStatus {
  if (img.status === 'failed' || img.status === 'cancelled') return img.status;
  if (imageDone(img)) return 'completed';
  return img.status === 'pending' ? 'pending' : 'processing';
}

const PROGRESS: Record<JobStatus, number> = { pending: 0, processing: 50, completed: 100, failed: 100, cancelled: 100 };

export const seed001Routes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;
  const ttl = settings.DOWNLOAD_URL_TTL_SECONDS;

  async function imageJob(img: Image & { outputs: Output[] }): Promise<z.output<typeof ImageJob>> {
    const view = await imageView(img, store, ttl);
    const status = jobStatus(img);
    const output = status === 'completed' ? (view.outputs[0] ?? null) : null;
    return {
      job_id: img.id,
      original_name: img.originalName,
      status,
      progress: PROGRESS[status],
      download_url: output?.download_url ?? null,
      output,
      error: img.status === 'failed' ? (img.errorMessage ?? 'the image could not be processed') : null,
      error_code: img.status === 'failed' ? (img.errorCode ?? 'processing_failed') : null,
      progress_url: progressUrl(img.id),
    };
  }

  api.post(
    '/api/resize',
    {
      summary: 'Seed 001: resize one image',
      description:
        'Resizes/compresses one image (`image`) to `width`/`height`/`quality`, at most `max_size` (or `max_bytes`) bytes. ' +
        'Answers 200 with `job_id` and `download_url` when done within `wait` seconds (default 10), else 202 with ' +
        '`job_id` to poll at `GET /api/progress/{job_id}`, which gives `download_url` once done. Runs as ' +
        'POST /api/v1/resize does, as a one-image batch (`batch_id`).',
      tags: ['seed 001'],
      access: 'user',
      multipart: {
        fields: Seed001Fields,
        files: { image: { description: 'The image (JPEG, PNG, WebP, AVIF, GIF or TIFF)', required: true } },
      },
      responses: {
        200: { description: 'Done: `download_url` is ready', schema: ResizeAnswer },
        202: { description: 'Still running: poll `progress_url`', schema: ResizeAnswer },
        400: { description: 'Not an image (named), no image, or an option is invalid' },
        413: { description: 'The image is larger than the limit' },
        422: { description: 'The image could not be processed; `error` says why, `details.job_id` names the job' },
      },
    },
    async (req, res) => {
      const job = await createResizeJob(deps, req, res, {
        ownerId: authOf(req).userId,
        fileFields: ['image'],
        maxFiles: 1,
        form: Seed001Fields,
        route: 'POST /api/resize',
        options: resizeOptions,
      });
      const [image] = await waitForImages(deps, req, job);
      if (!image) throw new NotFoundError('the job is gone');
      const { original_name: _name, ...sub } = await imageJob(image);
      if (image.status === 'failed') {
        // Same answer as POST /api/v1/resize for an image that can't be processed.
        throw new UnprocessableError(sub.error!, { job_id: sub.job_id, batch_id: job.jobId }, sub.error_code!);
      }
      res.status(sub.status === 'completed' ? 200 : 202).json({
        ...sub,
        batch_id: job.jobId,
        ...(job.analysis.length > 0 && { analysis: image.analysis ?? null }),
      } satisfies z.input<typeof ResizeAnswer>);
    },
  );

  api.post(
    '/api/batch',
    {
      summary: 'Seed 001: resize several images (experimental)',
      description:
        'Each image of `images[]` is resized as by POST /api/resize, as a sub-job of its own. Answers 200 when every ' +
        'image is done within `wait` seconds (default 10), else 202; each of `image_jobs` has its `job_id` and its ' +
        '`download_url` or `error`. Poll `GET /api/progress/{job_id}` with the batch job id or a sub-job id.',
      tags: ['seed 001'],
      access: 'user',
      multipart: {
        fields: Seed001Fields,
        files: {
          'images[]': {
            description: 'The images (JPEG, PNG, WebP, AVIF, GIF or TIFF)',
            multiple: true,
            required: true,
            aliases: ['images'],
          },
        },
      },
      responses: {
        200: {
          description: 'Every image is done: completed with its `download_url`, or failed with its `error`',
          schema: BatchAnswer,
        },
        202: { description: 'Some images are still running: poll their `progress_url`', schema: BatchAnswer },
        400: { description: 'A file is not an image (named), no images, or an option is invalid' },
        413: { description: 'An image, or their number, is over the limit' },
      },
    },
    async (req, res) => {
      const job = await createResizeJob(deps, req, res, {
        ownerId: authOf(req).userId,
        fileFields: ['images[]', 'images'],
        maxFiles: settings.MAX_FILES_PER_BATCH,
        form: Seed001Fields,
        route: 'POST /api/batch',
        options: resizeOptions,
      });
      const images = await waitForImages(deps, req, job);
      const batch = await prisma.batch.findUniqueOrThrow({ where: { id: job.jobId } });
      const image_jobs = await Promise.all(images.map(imageJob));
      res.status(image_jobs.every((j) => PROGRESS[j.status] === 100) ? 200 : 202).json({
        batch_job_id: job.jobId,
        job_id: job.jobId,
        experimental: true,
        status: batch.status,
        progress: batchProgress(batch),
        total_images: batch.totalImages,
        progress_url: progressUrl(job.jobId),
        image_jobs,
      } satisfies z.input<typeof BatchAnswer>);
    },
  );

  /** A job of the caller's: a batch they own, or an image of one (admins see all). */
  async function findJob(auth: AuthContext, jobId: string) {
    if (!isUuid(jobId)) return undefined;
    const owner = auth.role === 'admin' ? {} : { ownerId: auth.userId };
    const batch = await prisma.batch.findFirst({ where: { id: jobId, ...owner } });
    if (batch) return { kind: 'batch' as const, batch };
    const image = await prisma.image.findFirst({ where: { id: jobId, batch: owner }, include: { outputs: true } });
    return image ? { kind: 'image' as const, image } : undefined;
  }

  api.get(
    '/api/progress/:jobID',
    {
      summary: 'Seed 001: progress of a job or a sub-job',
      description:
        '`{ "progress": 0-100 }` for a batch job id (`batch_job_id`, or any batch id of yours) or an image job id ' +
        '(the `job_id` of POST /api/resize, an `image_jobs[].job_id`). An image job is 0 while waiting, 50 while ' +
        'processing, 100 once done (completed, failed or cancelled), and gives its `download_url` or `error`.',
      tags: ['seed 001'],
      access: 'user',
      params: z.object({ jobID: z.string() }),
      responses: {
        200: { description: 'Its progress', schema: Progress },
        404: { description: 'No such job of yours' },
      },
    },
    async (req, res) => {
      const { jobID } = req.valid.params;
      const job = await findJob(authOf(req), jobID);
      if (!job) throw new NotFoundError('no such job');
      res.set('Cache-Control', 'no-store');
      if (job.kind === 'batch') {
        const { batch } = job;
        return void res.json({
          progress: batchProgress(batch),
          job_id: batch.id,
          kind: 'batch',
          status: batch.status,
        } satisfies z.input<typeof Progress>);
      }
      const sub = await imageJob(job.image);
      res.json({
        progress: sub.progress,
        job_id: sub.job_id,
        kind: 'image',
        status: sub.status,
        download_url: sub.download_url,
        error: sub.error,
      } satisfies z.input<typeof Progress>);
    },
  );
};
