// One image, one call: runs as a one-image batch and waits a little for the result (batches/resize-job.ts).
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { imageView } from '../batches/image-view';
import { createResizeJob, imageDone, ResizedOutput, ResizeFields, waitForImages } from '../batches/resize-job';
import { UnprocessableError } from '../errors';
import type { RouteModule } from './route-module';

const Done = z.object({
  job_id: z.uuid().describe('The one-image batch the job runs as'),
  status: z.literal('completed'),
  download_url: z.string().nullable(),
  output: ResizedOutput.nullable(),
  analysis: z.unknown().optional().describe('What the analyses found, when `analysis` was asked for'),
});
const Running = z.object({ job_id: z.uuid(), status: z.literal('processing'), progress_url: z.string() });

export const resizeRoutes: RouteModule = ({ deps, api }) => {
  const { store, settings } = deps;

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
        200: { description: 'Done: `download_url` is ready', schema: Done },
        202: { description: 'Still running: poll `GET /api/v1/batches/{job_id}/progress`', schema: Running },
        422: { description: 'The image could not be processed; `error` says why' },
      },
    },
    async (req, res) => {
      const job = await createResizeJob(deps, req, res, {
        ownerId: authOf(req).userId,
        fileFields: ['image'],
        maxFiles: 1,
        form: ResizeFields,
        route: 'POST /api/v1/resize',
        options: (f) => f,
      });
      const jobId = job.jobId;
      const [image] = await waitForImages(deps, req, job);
      if (image && imageDone(image) && image.status !== 'cancelled') {
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
          ...(job.analysis.length > 0 && { analysis: view.analysis }),
        } satisfies z.input<typeof Done>);
      }
      res.status(202).json({
        job_id: jobId,
        status: 'processing',
        progress_url: `/api/v1/batches/${jobId}/progress`,
      } satisfies z.input<typeof Running>);
    },
  );
};
