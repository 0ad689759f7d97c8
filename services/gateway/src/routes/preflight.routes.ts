// Checking a batch before making it: the bodies of `POST /api/v1/batches` for URL batches, and nothing is created.
import { z } from 'zod';
import { BatchFormFields, batchUpload } from '../batches/batch-options';
import { MAX_PROBE, PreflightReport, preflightMultipart, preflightUrlList } from '../batches/preflight/preflight';
import { MAX_LISTED, MAX_HOSTS } from '../batches/preflight/url-screening';
import { UrlListBody } from '../batches/url-intake/url-list';
import { ValidationError } from '../errors';
import { fileFieldNames } from '../openapi/registry';
import type { RouteModule } from './route-module';

const PreflightQuery = z.object({
  probe: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_PROBE)
    .default(0)
    .describe('Download a random sample of this many distinct URLs through the safe fetcher'),
});

const preflightUpload = { fields: BatchFormFields, files: { file: batchUpload.files.file } };

export const preflightRoutes: RouteModule = ({ deps, api }) => {
  const { settings } = deps;
  const csvFields = fileFieldNames(preflightUpload, (n) => n === 'file');

  api.post(
    '/api/v1/batches/preflight',
    {
      summary: 'Check a URL batch without creating it: rows, duplicates, malformed and refused URLs, an estimate',
      description:
        'Takes what `POST /api/v1/batches` takes for a URL batch (multipart `file` with a CSV, or JSON `{ "urls": [...] }`, ' +
        'with the same optional fields, checked the same way) and stores nothing. Each URL is judged by the fetch policy ' +
        'from the URL itself and from DNS (each host resolved once; nothing is connected to): `malformed` cannot be ' +
        'fetched as written, `refused` points at a private or reserved address, `unresolved` has a host that does not ' +
        `resolve. Lists show the first ${MAX_LISTED} findings of each kind with their rows; counts are complete. At most ` +
        `${MAX_HOSTS} hosts are resolved. With \`probe=N\` a random sample of N distinct URLs is downloaded as the ingest ` +
        'service would. The estimate uses the rate at which images finished over the last minutes.',
      tags: ['batches'],
      access: 'user',
      query: PreflightQuery,
      body: UrlListBody,
      jsonLimit: settings.MAX_CSV_BYTES,
      multipart: preflightUpload,
      responses: {
        200: { description: 'What a batch made of this body would hold', schema: PreflightReport },
        400: { description: 'The CSV is malformed (with its row) or has no URL column, or a field is invalid' },
        413: { description: 'The CSV, or its number of rows or URLs, is over its limit' },
      },
    },
    async (req, res) => {
      const probe = req.valid.query.probe;
      if (req.is('multipart/form-data')) {
        return void res.json(await preflightMultipart(deps, req, res, { probe, csvFields }));
      }
      if (req.valid.body) return void res.json(await preflightUrlList(deps, req.valid.body, probe));
      throw new ValidationError(
        'send a CSV as multipart/form-data (`file`), or JSON `{ "urls": [...] }`',
        undefined,
        'unsupported_content_type',
      );
    },
  );
};
