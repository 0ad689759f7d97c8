// API keys for scripts: created (the key is shown once), listed without secrets, revoked. Each user sees only theirs.
import { z } from 'zod';
import type { ApiKey } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { generateApiKey } from '../auth/api-keys';
import { NotFoundError } from '../errors';
import type { RouteModule } from './route-module';

export const CreateApiKeyBody = z.object({ name: z.string().trim().min(1).max(100) });

export const ApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('First characters of the key, to tell keys apart'),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable(),
  revoked_at: z.iso.datetime().nullable(),
});
export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The key itself. Shown only in this answer: store it now.'),
});
const ApiKeyList = z.object({ items: z.array(ApiKeySchema) });
const KeyParams = z.object({ id: z.uuid() });

const present = (k: ApiKey): z.input<typeof ApiKeySchema> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

export const apiKeysRoutes: RouteModule = ({ deps, api }) => {
  const { prisma } = deps;

  api.post(
    '/api/v1/api-keys',
    {
      summary: 'Create an API key',
      description: 'Use it as `Authorization: Bearer pmk_...` or `X-API-Key: pmk_...`.',
      tags: ['api-keys'],
      access: 'user',
      body: CreateApiKeyBody,
      responses: { 201: { description: 'Created; the key is in `key`, and only here', schema: CreatedApiKeySchema } },
    },
    async (req, res) => {
      const { name } = req.valid.body;
      const { key, prefix, keyHash } = generateApiKey();
      const row = await prisma.apiKey.create({ data: { userId: authOf(req).userId, name, prefix, keyHash } });
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({ ...present(row), key });
    },
  );

  api.get(
    '/api/v1/api-keys',
    {
      summary: 'Your API keys (without the keys themselves)',
      tags: ['api-keys'],
      access: 'user',
      responses: { 200: { description: 'Newest first, revoked ones included', schema: ApiKeyList } },
    },
    async (req, res) => {
      const rows = await prisma.apiKey.findMany({
        where: { userId: authOf(req).userId },
        orderBy: { createdAt: 'desc' },
      });
      res.json({ items: rows.map(present) });
    },
  );

  api.delete(
    '/api/v1/api-keys/:id',
    {
      summary: 'Revoke one of your API keys',
      tags: ['api-keys'],
      access: 'user',
      params: KeyParams,
      responses: {
        204: { description: 'Revoked (also when it already was)' },
        404: { description: 'No such key of yours' },
      },
    },
    async (req, res) => {
      const { id } = req.valid.params;
      const userId = authOf(req).userId;
      // Scoped to the caller: someone else's key is "not found", not "forbidden", so ids don't leak.
      const { count } = await prisma.apiKey.updateMany({
        where: { id, userId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (count === 0 && !(await prisma.apiKey.findFirst({ where: { id, userId }, select: { id: true } }))) {
        throw new NotFoundError('no such API key');
      }
      res.status(204).end();
    },
  );
};
