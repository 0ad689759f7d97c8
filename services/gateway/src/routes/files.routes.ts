// Signed download links of the local-disk store (with S3, download URLs are S3 presigned URLs and this is not mounted).
import { keyOwner } from '@pixmill/contracts';
import { serveLocalDownload, type GoneAnswer, type LocalObjectStore } from '@pixmill/storage';
import { z } from 'zod';
import { expiredError } from '../batches/retention/retention';
import type { RouteModule } from './route-module';

export const filesRoutes: RouteModule = ({ deps, api }) => {
  if (deps.store.kind !== 'local') return;
  const store = deps.store as LocalObjectStore;
  const { prisma, settings } = deps;
  // An original or output that housekeeping deleted for its retention: the link says so (410) rather than 404.
  const gone = async (key: string): Promise<GoneAnswer | undefined> => {
    const owner = keyOwner(key);
    if (!owner || owner.area === 'uploads') return undefined;
    const batch = await prisma.batch.findUnique({ where: { id: owner.batchId } });
    const err = batch ? expiredError(batch, owner.area, settings) : undefined;
    return err && { code: err.code, message: err.message, details: err.details };
  };
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
        404: { description: 'No such file' },
        410: { description: 'Deleted for its retention (the reason and date in the error)' },
      },
    },
    (req, res, next) => {
      serveLocalDownload(store, req, res, { gone }).catch(next);
    },
  );
};
