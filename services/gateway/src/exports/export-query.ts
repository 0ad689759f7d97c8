// The filters every export takes, as query parameters (GET) or JSON (POST), turned into ExportFilters.
import { z } from 'zod';
import type { ImageStatus } from '@pixmill/db';
import { ValidationError } from '../errors';
import type { ExportFilters } from './export-rows';

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .default(false)
  .transform((v) => v === true || v === 'true' || v === '1');

export const ExportFormatParam = z.enum(['csv', 'json', 'xlsx']);

export const filterFields = {
  metadata: flag.describe('Add metadata columns (input row, content type and hash, attempts, batch name)'),
  success_only: flag.describe('Only images that succeeded'),
  failed_only: flag.describe('Only images that failed'),
  start_date: z.coerce.date().optional().describe('Images finished at or after (ISO 8601)'),
  end_date: z.coerce.date().optional().describe('Images finished at or before (ISO 8601)'),
  has_store_name: flag.describe('Only images whose vision provider named a store (needs the `describe` analysis)'),
  has_contact: flag.describe('Only images with a business contact in their text (needs the `text` analysis)'),
};

export const ExportQuery = z.object({ format: ExportFormatParam.default('csv'), ...filterFields });
export const PreviewQuery = z.object({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(100).default(100),
});

type FilterInput = {
  metadata: boolean;
  success_only: boolean;
  failed_only: boolean;
  start_date?: Date | undefined;
  end_date?: Date | undefined;
  image_status?: ImageStatus[] | undefined;
  has_store_name?: boolean;
  has_contact?: boolean;
};

export function toFilters(q: FilterInput): ExportFilters {
  if (q.success_only && q.failed_only) throw new ValidationError('success_only and failed_only exclude each other');
  if (q.start_date && q.end_date && q.start_date > q.end_date)
    throw new ValidationError('start_date is after end_date');
  const statuses: ImageStatus[] | undefined = q.success_only
    ? ['succeeded']
    : q.failed_only
      ? ['failed']
      : q.image_status?.length
        ? q.image_status
        : undefined;
  return {
    metadata: q.metadata,
    ...(statuses ? { statuses } : {}),
    ...(q.start_date ? { startDate: q.start_date } : {}),
    ...(q.end_date ? { endDate: q.end_date } : {}),
    ...(q.has_contact ? { hasContact: true } : {}),
    ...(q.has_store_name ? { hasStoreName: true } : {}),
  };
}

/**
 * The analysis columns when any of `batches` asked for analyses; the has_contact / has_store_name filters only where
 * the analysis they read was asked for (else they would silently match nothing).
 */
export function withAnalysis(f: ExportFilters, batches: readonly { analysis: unknown }[]): ExportFilters {
  const asked = (b: { analysis: unknown }) => (Array.isArray(b.analysis) ? (b.analysis as string[]) : []);
  const need = (filter: string, kind: string) => {
    const without = batches.filter((b) => !asked(b).includes(kind));
    if (without.length > 0 && batches.length > 0)
      throw new ValidationError(
        `${filter} needs the ${kind} analysis, which ${batches.length === 1 ? 'this batch' : 'a batch of the export'} did not ask for`,
        { field: filter, analysis: kind },
        'analysis_not_enabled',
      );
  };
  if (f.hasContact) need('has_contact', 'text');
  if (f.hasStoreName) need('has_store_name', 'describe');
  return { ...f, analysis: batches.some((b) => asked(b).length > 0) };
}

/** The filters as recorded in the export log and shown in the export itself. */
export function describeFilters(f: ExportFilters, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(f.statuses ? { image_status: f.statuses } : {}),
    ...(f.startDate ? { start_date: f.startDate.toISOString() } : {}),
    ...(f.endDate ? { end_date: f.endDate.toISOString() } : {}),
    metadata: f.metadata,
    ...(f.hasContact ? { has_contact: true } : {}),
    ...(f.hasStoreName ? { has_store_name: true } : {}),
    ...extra,
  };
}
