// The caller's batches (an admin's: everyone's), newest first, filtered and paged.
import { z } from 'zod';
import { BATCH_STATUSES as STATUSES } from '@pixmill/batch-state';
import type { Batch, BatchStatus, Prisma } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { BatchSummary, batchSummary } from '../batches/batch-view';
import { webhookStatuses, type WebhookStatus } from '../batches/webhook-status';
import { ValidationError } from '../errors';
import type { RouteModule } from './route-module';
import { likeLiteral } from '../http/like-literal';

const DEFAULT_PAGE = 50;

const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

export const BatchListQuery = z.object({
  status: z
    .string()
    .optional()
    .describe(`One status or several, comma-separated, in any case: ${STATUSES.join(', ')}`),
  include_soft_deleted: flag.describe('Also list soft-deleted batches (they carry `deleted_at`)'),
  q: z.string().trim().max(200).optional().describe('Only batches whose name contains this (any case)'),
  start_date: z.coerce.date().optional().describe('Created at or after (ISO 8601)'),
  end_date: z.coerce.date().optional().describe('Created at or before (ISO 8601)'),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).optional().describe(`Batches per page (default ${DEFAULT_PAGE})`),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe(`Batches to return, the same as per_page (seed 002 name; default ${DEFAULT_PAGE})`),
});

const BatchListItem = BatchSummary.extend({
  source: z.string(),
  cancelled_count: z.number().int(),
  is_active: z.boolean(),
  deleted_at: z.iso.datetime().nullable(),
  purge_after: z.iso.datetime().nullable(),
  cloned_from: z.uuid().nullable(),
  webhook_status: BatchSummary.shape.webhook_status,
});
const BatchList = z.object({
  batches: z.array(BatchListItem).describe('This page of batches (seed 002 name; the same list as items)'),
  count: z.number().int().describe('Batches in this page (`total` counts every batch that matches)'),
  page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int(),
  total_pages: z.number().int(),
  items: z.array(BatchListItem),
});

export function parseStatuses(raw: string | undefined): BatchStatus[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.split(',').map((s) => s.trim().toLowerCase());
  const bad = list.filter((s) => !(STATUSES as readonly string[]).includes(s));
  if (bad.length) throw new ValidationError(`unknown status ${bad.join(', ')}`, { allowed: STATUSES });
  return list as BatchStatus[];
}

export function batchListItem(b: Batch & { webhookStatus?: WebhookStatus }) {
  const s = batchSummary(b);
  return {
    ...s,
    source: b.sourceKind,
    // Cancelled images are not processed; see batch-state's batch-transitions.ts.
    cancelled_count: b.status === 'cancelled' ? b.totalImages - b.processedImages : 0,
    is_active: b.status === 'queued' || b.status === 'processing',
    deleted_at: b.deletedAt?.toISOString() ?? null,
    purge_after: b.purgeAfter?.toISOString() ?? null,
    cloned_from: b.clonedFromId,
  };
}

export const batchListRoutes: RouteModule = ({ deps, api }) => {
  const { prisma } = deps;
  api.get(
    '/api/v1/batches',
    {
      summary: 'Your batches, newest first',
      description:
        'Soft-deleted batches are hidden unless `include_soft_deleted=true`. Admins see every user’s batches.',
      tags: ['batches'],
      access: 'user',
      query: BatchListQuery,
      responses: { 200: { description: 'A page of batches', schema: BatchList } },
    },
    async (req, res) => {
      const auth = authOf(req);
      const q = req.valid.query;
      if (q.limit !== undefined && q.per_page !== undefined && q.limit !== q.per_page)
        throw new ValidationError('limit and per_page both say how many batches a page holds: send one of them', {
          limit: q.limit,
          per_page: q.per_page,
        });
      const perPage = q.per_page ?? q.limit ?? DEFAULT_PAGE;
      const statuses = parseStatuses(q.status);
      const where: Prisma.BatchWhereInput = {
        ...(auth.role === 'admin' ? {} : { ownerId: auth.userId }),
        ...(statuses ? { status: { in: statuses } } : {}),
        ...(q.include_soft_deleted ? {} : { deletedAt: null }),
        ...(q.q ? { name: { contains: likeLiteral(q.q), mode: 'insensitive' as const } } : {}),
        ...(q.start_date || q.end_date
          ? {
              createdAt: { ...(q.start_date ? { gte: q.start_date } : {}), ...(q.end_date ? { lte: q.end_date } : {}) },
            }
          : {}),
      };
      const [total, rows] = await Promise.all([
        prisma.batch.count({ where }),
        prisma.batch.findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          skip: (q.page - 1) * perPage,
          take: perPage,
        }),
      ]);
      const items = await withWebhookStatuses(prisma, rows);
      res.set('Cache-Control', 'no-store').json({
        batches: items,
        count: items.length,
        page: q.page,
        per_page: perPage,
        total,
        total_pages: Math.ceil(total / perPage),
        items,
      });
    },
  );
};

/** List items with their `webhook_status`, read for the whole page in one query. */
async function withWebhookStatuses(prisma: Parameters<typeof webhookStatuses>[0], rows: Batch[]) {
  const statuses = await webhookStatuses(prisma, rows);
  return rows.map((b) => batchListItem({ ...b, webhookStatus: statuses.get(b.id) }));
}
