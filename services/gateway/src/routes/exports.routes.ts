// Exports of batch results: one batch as CSV, JSON or XLSX (streamed), its preview and summary, several batches
// as a ZIP, a filtered export across batches, the formats, the input template and export statistics.
import { z } from 'zod';
import { isUuid } from '@pixmill/contracts';
import type { Batch, BatchStatus, Prisma } from '@pixmill/db';
import { authOf } from '../auth/auth-context';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import { NotFoundError } from '../errors';
import {
  DEFAULT_EXPORT_FORMAT,
  describeFilters,
  ExportFormatParam,
  ExportQuery,
  filterFields,
  filtersApplied,
  GlobalFilters,
  mergeFilters,
  PreviewQuery,
  toFilters,
  withAnalysis,
} from '../exports/export-query';
import { previewRecord } from '../exports/export-preview';
import { FormatsResponse, PreviewResponse, StatisticsResponse, SummaryResponse } from '../exports/export-responses';
import { batchRows, exportColumns, type ExportFilters, type ExportRow, type RowSource } from '../exports/export-rows';
import { exportStatistics } from '../exports/export-statistics';
import { exportSummary } from '../exports/export-summary';
import { EXPORT_FORMATS, type ExportMeta } from '../exports/export-writers';
import { exportBaseName, sendExport, sendZip } from '../exports/send-export';
import { jsonSchema } from '../openapi/registry';
import type { RouteModule } from './route-module';

const MultipleBody = z.object({
  batch_ids: z.array(z.string()).min(1).max(50).describe('Up to 50 of your batches'),
  format: ExportFormatParam.default(DEFAULT_EXPORT_FORMAT),
  ...filterFields,
});
/** Seed 002's limit: an export holds at most a million records. */
const MAX_EXPORT_ROWS = 1_000_000;
const FilteredBody = z.object({
  filters: GlobalFilters.optional().describe(
    'Which batches and images (seed 002’s shape; also taken at the top level)',
  ),
  format: ExportFormatParam.default(DEFAULT_EXPORT_FORMAT),
  metadata: filterFields.metadata,
  limit: z.number().int().min(1).max(MAX_EXPORT_ROWS).default(10_000).describe('Most rows in the export'),
  ...GlobalFilters.shape,
});
const StatisticsQuery = z.object({
  days: z.coerce.number().int().min(1).max(3650).default(30),
  all_users: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1')
    .describe('Admins: everyone’s exports'),
});
const Cell = z.union([z.string(), z.number(), z.null()]);
/** The JSON export's document (export-writers.ts writes it as it streams). */
const JsonExport = z.object({
  export: z.object({
    title: z.string(),
    exported_at: z.iso.datetime(),
    filters: z.record(z.string(), z.unknown()),
    columns: z.array(z.string()),
  }),
  rows: z.array(z.record(z.string(), Cell)),
  row_count: z.number().int(),
});
const fileBody = (what: string) => ({
  description: `${what}; \`Content-Disposition\` names the file`,
  content: Object.fromEntries(
    Object.values(EXPORT_FORMATS).map((f) => {
      const type = f.contentType.split(';')[0]!;
      return [type, { schema: type === 'application/json' ? jsonSchema(JsonExport, 'output') : { type: 'string' } }];
    }),
  ),
});

const exportMeta = (b: Batch, filters: Record<string, unknown>): ExportMeta => ({
  title: `batch ${b.id}`,
  filters,
  summary: [
    ['batch_id', b.id],
    ['batch_name', b.name ?? ''],
    ['status', b.status],
    ['total_images', b.totalImages],
    ['processed_images', b.processedImages],
    ['successful_count', b.succeededImages],
    ['failed_count', b.failedImages],
    ['created_at', b.createdAt.toISOString()],
    ['completed_at', b.completedAt?.toISOString() ?? ''],
  ],
});

export const exportsRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, store, settings } = deps;
  const src: RowSource = { prisma, store, urlTtlSeconds: settings.DOWNLOAD_URL_TTL_SECONDS };

  api.get(
    '/api/v1/export/batch/:id',
    {
      summary: 'Export the results of a batch (CSV, JSON or XLSX)',
      description:
        'One row per image and output variant: source, status, error, output URL (signed), size, timings. Streamed. ' +
        'Cells that start with = + - @ tab or CR get a leading apostrophe in CSV and XLSX.',
      tags: ['exports'],
      access: 'user',
      params: BatchParams,
      query: ExportQuery,
      responses: { 200: fileBody('The export'), 404: { description: 'No such batch of yours' } },
    },
    async (req, res) => {
      const auth = authOf(req);
      const batch = await findOwnedBatch(prisma, auth, req.valid.params.id);
      const q = req.valid.query;
      const f = withAnalysis(toFilters(q), [batch]);
      const filters = describeFilters(f);
      await sendExport(res, {
        format: q.format,
        baseName: exportBaseName(batch.name, batch.id),
        rows: batchRows(src, batch, f),
        columns: exportColumns(f.metadata, f.analysis),
        meta: exportMeta(batch, filters),
        log: { prisma, userId: auth.userId, batchIds: [batch.id], filters },
      });
    },
  );

  api.get(
    '/api/v1/export/batch/:id/preview',
    {
      summary: 'The first rows of an export, as JSON',
      tags: ['exports'],
      access: 'user',
      params: BatchParams,
      query: PreviewQuery,
      responses: {
        200: { description: 'Up to `limit` (max 100) rows', schema: PreviewResponse },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const q = req.valid.query;
      const f = withAnalysis(toFilters(q), [batch]);
      const rows: ExportRow[] = [];
      for await (const r of batchRows(src, batch, f, q.limit)) rows.push(r);
      res.set('Cache-Control', 'no-store').json({
        preview_records: rows.map(previewRecord),
        total_records_shown: rows.length,
        is_preview: true,
        filters_applied: filtersApplied(q),
        format: q.format,
        batch_id: batch.id,
        columns: exportColumns(f.metadata, f.analysis),
        rows,
      } satisfies z.input<typeof PreviewResponse>);
    },
  );

  api.get(
    '/api/v1/export/batch/:id/summary',
    {
      summary: 'What an export of a batch would hold: counts and estimated size per format',
      tags: ['exports'],
      access: 'user',
      params: BatchParams,
      query: PreviewQuery.omit({ limit: true, format: true }),
      responses: {
        200: { description: 'Counts and estimates', schema: SummaryResponse },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const batch = await findOwnedBatch(prisma, authOf(req), req.valid.params.id);
      const f = withAnalysis(toFilters(req.valid.query), [batch]);
      res
        .set('Cache-Control', 'no-store')
        .json((await exportSummary(src, batch, f)) satisfies z.input<typeof SummaryResponse>);
    },
  );

  api.post(
    '/api/v1/export/batches/multiple',
    {
      summary: 'Export several batches as a ZIP of one file per batch',
      tags: ['exports'],
      access: 'user',
      body: MultipleBody,
      responses: {
        200: { description: 'A ZIP archive', content: { 'application/zip': { schema: { type: 'string' } } } },
        404: { description: 'One of the batches is not yours or does not exist (`details.batch_id`)' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const q = req.valid.body;
      const ids = [...new Set(q.batch_ids)];
      const batches: Batch[] = [];
      for (const id of ids) {
        try {
          batches.push(await findOwnedBatch(prisma, auth, id));
        } catch (err) {
          if (err instanceof NotFoundError) throw new NotFoundError('no such batch', { batch_id: id });
          throw err;
        }
      }
      const f = withAnalysis(toFilters(q), batches);
      const filters = describeFilters(f);
      await sendZip(res, {
        format: q.format,
        fileName: `pixmill-export-${new Date().toISOString().slice(0, 10)}.zip`,
        columns: exportColumns(f.metadata, f.analysis),
        entries: batches.map((b) => ({
          name: exportBaseName(b.name, b.id),
          rows: () => batchRows(src, b, f),
          meta: exportMeta(b, filters),
        })),
        log: { prisma, userId: auth.userId, batchIds: batches.map((b) => b.id), filters },
      });
    },
  );

  api.post(
    '/api/v1/export/filtered',
    {
      summary: 'Export images across your batches, filtered, up to a limit',
      description:
        'Batches newest first, rows in input order within each; `limit` caps the rows (max 1,000,000). The filters go ' +
        'in `filters` (seed 002) or at the top level of the body; one given in both places must have the same value.',
      tags: ['exports'],
      access: 'user',
      body: FilteredBody,
      responses: {
        200: fileBody('The export'),
        404: { description: 'A batch in `batch_ids` is not yours or does not exist (`details.batch_id`)' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const { filters: nested, format, metadata, limit, ...top } = req.valid.body;
      const q = { ...mergeFilters(top, nested), format, metadata, limit };
      let f: ExportFilters = toFilters(q);
      const mine = auth.role === 'admin' ? {} : { ownerId: auth.userId };
      if (q.batch_ids) {
        // Named batches must all be the caller's: a foreign id is the same 404 as everywhere else.
        const ids = [...new Set(q.batch_ids)];
        const valid = ids.filter(isUuid);
        const found = new Set(
          (await prisma.batch.findMany({ where: { id: { in: valid }, ...mine }, select: { id: true } })).map(
            (b) => b.id,
          ),
        );
        const missing = ids.find((id) => !found.has(id));
        if (missing !== undefined) throw new NotFoundError('no such batch', { batch_id: missing });
      }
      const where: Prisma.BatchWhereInput = {
        ...mine,
        deletedAt: null,
        ...(q.batch_ids ? { id: { in: q.batch_ids } } : {}),
        ...(q.batch_status ? { status: { in: q.batch_status as BatchStatus[] } } : {}),
        ...(q.created_from || q.created_to
          ? {
              createdAt: {
                ...(q.created_from ? { gte: q.created_from } : {}),
                ...(q.created_to ? { lte: q.created_to } : {}),
              },
            }
          : {}),
      };
      const batches = await prisma.batch.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      f = withAnalysis(f, batches);
      const filters = describeFilters(f, {
        limit: q.limit,
        ...(q.batch_status ? { batch_status: q.batch_status } : {}),
        ...(q.created_from ? { created_from: q.created_from.toISOString() } : {}),
        ...(q.created_to ? { created_to: q.created_to.toISOString() } : {}),
      });
      const rows = async function* () {
        let left = q.limit;
        for (const b of batches) {
          for await (const r of batchRows(src, b, f, left)) {
            left--;
            yield r;
          }
          if (left <= 0) return;
        }
      };
      await sendExport(res, {
        format: q.format,
        baseName: `pixmill-filtered-${new Date().toISOString().slice(0, 10)}`,
        rows: rows(),
        columns: exportColumns(f.metadata, f.analysis),
        meta: {
          title: 'filtered export',
          filters,
          summary: [['batches', batches.length]],
        },
        log: { prisma, userId: auth.userId, batchIds: batches.map((b) => b.id), filters },
      });
    },
  );

  api.get(
    '/api/v1/export/formats',
    {
      summary: 'Export formats and their columns',
      tags: ['exports'],
      access: 'user',
      responses: { 200: { description: 'The formats', schema: FormatsResponse } },
    },
    (_req, res) => {
      res.json({
        supported_formats: Object.fromEntries(
          Object.entries(EXPORT_FORMATS).map(([name, f]) => [
            name,
            {
              name: f.name,
              description: f.purpose,
              supports_filtering: true,
              supports_metadata: true,
              file_extension: `.${f.extension}`,
              mime_type: f.contentType.split(';')[0]!,
            },
          ]),
        ),
        default_format: DEFAULT_EXPORT_FORMAT,
        formats: Object.entries(EXPORT_FORMATS).map(([name, f]) => ({
          format: name,
          content_type: f.contentType,
          extension: f.extension,
          description: f.description,
        })),
        columns: exportColumns(false),
        metadata_columns: exportColumns(true).slice(exportColumns(false).length),
        filters: Object.keys(filterFields),
      } satisfies z.input<typeof FormatsResponse>);
    },
  );

  api.get(
    '/api/v1/export/statistics',
    {
      summary: 'Statistics of your exports',
      tags: ['exports'],
      access: 'user',
      query: StatisticsQuery,
      responses: {
        200: { description: 'Totals, by format, by day and the latest exports', schema: StatisticsResponse },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const q = req.valid.query;
      const everyone = q.all_users && auth.role === 'admin';
      const since = new Date(Date.now() - q.days * 86_400_000);
      res.set('Cache-Control', 'no-store').json(
        (await exportStatistics(prisma, {
          ...(everyone ? {} : { userId: auth.userId }),
          since,
        })) satisfies z.input<typeof StatisticsResponse>,
      );
    },
  );
};
