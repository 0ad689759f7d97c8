// Signed download links of the local-disk store (with S3, download URLs are S3 presigned URLs and this is not mounted).
import { serveLocalDownload, type LocalObjectStore } from '@pixmill/storage';
import { z } from 'zod';
import type { RouteModule } from './route-module';

export const filesRoutes: RouteModule = ({ deps, api }) => {
  if (deps.store.kind !== 'local') return;
  const store = deps.store as LocalObjectStore;
  api.get(
    '/files/*key',
    {
      summary: 'Download a stored file through a signed, expiring link',
      tags: ['files'],
      access: 'public',
      query: z.object({
        exp: z.string().optional().describe('When the link expires (Unix seconds)'),
        sig: z
          .string()
          .optional()
          .describe('Signature of the key, expiry, name and type (a link without one is refused, 403)'),
        name: z.string().optional().describe('File name for Content-Disposition'),
        type: z.string().optional().describe('Content-Type to answer with'),
      }),
      responses: {
        200: {
          description: 'The file, with the type it was stored with (or `type`)',
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        403: { description: 'Bad or expired signature' },
        404: { description: 'Gone' },
      },
    },
    (req, res, next) => {
      serveLocalDownload(store, req, res).catch(next);
    },
  );
};
