// What an export of a batch would hold before downloading it: counts, and an estimate of the size in each format
// from the first rows actually rendered (XLSX is a ZIP: measured by writing those rows as a workbook).
import { Writable } from 'node:stream';
import type { Batch, Prisma, PrismaClient } from '@pixmill/db';
import { batchRows, exportColumns, imageWhere, type ExportFilters, type RowSource } from './export-rows';
import { writeExport, type ExportFormat } from './export-writers';

const SAMPLE_ROWS = 100;

/** Rows an export will have: one per output, at least one per image. */
export async function countExportRows(
  prisma: Pick<PrismaClient, 'image' | 'output'>,
  batchId: string,
  f: ExportFilters,
): Promise<{ images: number; rows: number }> {
  const where: Prisma.ImageWhereInput = imageWhere(batchId, f);
  const [images, bare, outputs] = await Promise.all([
    prisma.image.count({ where }),
    prisma.image.count({ where: { ...where, outputs: { none: {} } } }),
    prisma.output.count({ where: { image: where } }),
  ]);
  return { images, rows: bare + outputs };
}

const sink = () => {
  let bytes = 0;
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  return { w, bytes: () => bytes };
};

export async function exportSummary(
  src: RowSource & { prisma: Pick<PrismaClient, 'image' | 'output'> },
  batch: Batch,
  f: ExportFilters,
) {
  const { images, rows } = await countExportRows(src.prisma, batch.id, f);
  const byStatus = await src.prisma.image.groupBy({
    by: ['status'],
    where: imageWhere(batch.id, f),
    _count: { _all: true },
  });
  const columns = exportColumns(f.metadata, f.analysis);
  const sampled: Record<ExportFormat, number> = { csv: 0, json: 0, xlsx: 0 };
  let sampleRows = 0;
  for (const format of ['csv', 'json', 'xlsx'] as const) {
    const s = sink();
    const r = await writeExport(
      format,
      batchRows(src, batch, f, SAMPLE_ROWS),
      columns,
      { title: '', filters: {}, summary: [] },
      s.w,
    );
    sampled[format] = s.bytes();
    sampleRows = r.rows;
  }
  // Fixed overhead (header, workbook skeleton) measured with zero rows, so small samples do not inflate the estimate.
  const estimates: Record<string, number> = {};
  for (const format of ['csv', 'json', 'xlsx'] as const) {
    const s = sink();
    await writeExport(format, (async function* () {})(), columns, { title: '', filters: {}, summary: [] }, s.w);
    const fixed = s.bytes();
    const perRow = sampleRows > 0 ? (sampled[format] - fixed) / sampleRows : 0;
    estimates[format] = Math.round(fixed + perRow * rows);
  }
  const count = (status: string) => byStatus.find((g) => g.status === status)?._count._all ?? 0;
  const successful = count('succeeded');
  const failed = count('failed');
  const asked = Array.isArray(batch.analysis) ? (batch.analysis as string[]) : [];
  // What each filter would leave, over the whole batch (the filters of this request aside).
  const [allSucceeded, allFailed, withStoreName, withContact] = await Promise.all([
    src.prisma.image.count({ where: { batchId: batch.id, status: 'succeeded' } }),
    src.prisma.image.count({ where: { batchId: batch.id, status: 'failed' } }),
    asked.includes('describe')
      ? src.prisma.image.count({ where: { batchId: batch.id, hasStoreName: true } })
      : undefined,
    asked.includes('text') ? src.prisma.image.count({ where: { batchId: batch.id, hasContact: true } }) : undefined,
  ]);
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  return {
    batch_info: {
      batch_id: batch.id,
      batch_name: batch.name,
      status: batch.status,
      created_at: batch.createdAt.toISOString(),
    },
    export_summary: {
      total_results: images,
      successful_results: successful,
      failed_results: failed,
      success_rate: images > 0 ? Math.round((successful / images) * 10000) / 100 : 0,
    },
    estimated_sizes_mb: Object.fromEntries(
      Object.entries(estimates).map(([format, bytes]) => [format, Math.round((bytes / (1024 * 1024)) * 100) / 100]),
    ),
    available_filters: {
      success_only: records(allSucceeded),
      failed_only: records(allFailed),
      has_store_name:
        withStoreName === undefined
          ? 'Records with store names (needs the describe analysis, which this batch did not ask for)'
          : `Records with store names: ${records(withStoreName)}`,
      has_contact:
        withContact === undefined
          ? 'Records with business contacts (needs the text analysis, which this batch did not ask for)'
          : `Records with business contacts: ${records(withContact)}`,
    },
    batch_id: batch.id,
    batch_name: batch.name,
    batch_status: batch.status,
    images,
    rows,
    images_by_status: Object.fromEntries(byStatus.map((g) => [g.status, g._count._all])),
    columns,
    estimated_bytes: estimates,
    estimate_basis: `${sampleRows} sampled rows`,
  };
}
