// Statistics of exports, from the export log: totals, by format, by day, and the latest exports.
import type { PrismaClient } from '@pixmill/db';
import { EXPORT_FORMATS, type ExportFormat } from './export-writers';

const MB = 1024 * 1024;
const round2 = (n: number) => Math.round(n * 100) / 100;

export async function exportStatistics(
  prisma: Pick<PrismaClient, 'exportLog'>,
  o: { userId?: string; since: Date; recent?: number },
) {
  const where = { ...(o.userId ? { userId: o.userId } : {}), createdAt: { gte: o.since } };
  const today = new Date(new Date().toISOString().slice(0, 10));
  const [totals, byFormat, recent, all, exportsToday] = await Promise.all([
    prisma.exportLog.aggregate({ where, _count: { _all: true }, _sum: { rows: true, bytes: true } }),
    prisma.exportLog.groupBy({
      by: ['format'],
      where,
      _count: { _all: true },
      _sum: { rows: true, bytes: true },
      orderBy: { format: 'asc' },
    }),
    prisma.exportLog.findMany({ where, orderBy: { createdAt: 'desc' }, take: o.recent ?? 10 }),
    prisma.exportLog.findMany({ where, select: { createdAt: true, rows: true } }),
    prisma.exportLog.count({ where: { ...(o.userId ? { userId: o.userId } : {}), createdAt: { gte: today } } }),
  ]);
  // A ZIP of CSV files (`zip:csv`) is a CSV export, as far as which formats people use goes.
  const popular = Object.fromEntries(Object.keys(EXPORT_FORMATS).map((f) => [f, 0])) as Record<ExportFormat, number>;
  for (const g of byFormat) {
    const base = g.format.replace(/^zip:/, '') as ExportFormat;
    if (base in popular) popular[base] += g._count._all;
  }
  const totalBytes = Number(totals._sum.bytes ?? 0n);
  const byDay = new Map<string, { exports: number; rows: number }>();
  for (const e of all) {
    const day = e.createdAt.toISOString().slice(0, 10);
    const d = byDay.get(day) ?? { exports: 0, rows: 0 };
    d.exports++;
    d.rows += e.rows;
    byDay.set(day, d);
  }
  return {
    since: o.since.toISOString(),
    total_exports: totals._count._all,
    exports_today: exportsToday,
    popular_formats: popular,
    average_export_size_mb: totals._count._all > 0 ? round2(totalBytes / totals._count._all / MB) : 0,
    total_rows: totals._sum.rows ?? 0,
    total_bytes: totalBytes,
    by_format: Object.fromEntries(
      byFormat.map((g) => [
        g.format,
        { exports: g._count._all, rows: g._sum.rows ?? 0, bytes: Number(g._sum.bytes ?? 0n) },
      ]),
    ),
    by_day: [...byDay].sort((a, b) => a[0].localeCompare(b[0])).map(([day, d]) => ({ day, ...d })),
    recent: recent.map((e) => ({
      id: e.id,
      format: e.format,
      batch_ids: e.batchIds,
      rows: e.rows,
      bytes: Number(e.bytes),
      filters: e.filters,
      created_at: e.createdAt.toISOString(),
    })),
  };
}
