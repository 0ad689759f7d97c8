// Every output of a batch as one streamed ZIP.
import { z } from 'zod';
import { authOf } from '../auth/auth-context';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { MISSING_ENTRY, outputsOf, writeOutputsZip } from '../batches/outputs/outputs-zip';
import { ValidationError } from '../errors';
import { exportBaseName } from '../exports/send-export';
import { contentDisposition } from '@pixmill/storage';
import type { RouteModule } from './route-module';

const OutputsZipQuery = z.object({
  variant: z.string().min(1).max(64).optional().describe('Only this variant of the recipe (default: every variant)'),
});

const variantsOf = (recipe: unknown): string[] => {
  const variants = (recipe as { variants?: { name?: unknown }[] } | null)?.variants;
  return Array.isArray(variants) ? variants.map((v) => String(v.name)) : [];
};

export const batchOutputsRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, log } = deps;

  api.get(
    '/api/v1/batches/:id/outputs.zip',
    {
      summary: 'Every output of a batch as one ZIP',
      description:
        'Entries are `<original name without path or extension>/<variant>.<ext>`; an original name that occurs twice ' +
        'gets `-2`, `-3`… Images are stored as they are (already compressed). Streamed as fast as the client reads. ' +
        `An output gone from storage is listed in \`${MISSING_ENTRY}\` instead. An interrupted download is resumed by ` +
        'downloading again and skipping the files already there with their size (the CLI does).',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: OutputsZipQuery,
      responses: {
        200: {
          description: 'A ZIP; `Content-Disposition` names it',
          content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
        },
        400: { description: 'The variant is not one of the batch’s recipe' },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const variants = variantsOf(batch.recipe);
      if (q.variant !== undefined && !variants.includes(q.variant)) {
        throw new ValidationError(
          `variant "${q.variant}" is not in this batch's recipe (${variants.join(', ')})`,
          { variants },
          'unknown_variant',
        );
      }
      const suffix = q.variant ? `-${q.variant}` : '';
      res.status(200);
      res.setHeader('Content-Type', 'application/zip');
      res.setHeader('Content-Disposition', contentDisposition(`${exportBaseName(batch.name, batch.id)}${suffix}.zip`));
      res.setHeader('Cache-Control', 'no-store');
      try {
        await writeOutputsZip(outputsOf(prisma, batch.id, q.variant), store, res);
      } catch (err) {
        // The status line is sent; all that is left is to cut the download short, so the client sees it incomplete.
        log.warn({ err, batchId: batch.id }, 'outputs ZIP not finished');
      }
    },
  );
};
