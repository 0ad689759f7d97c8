// The filters every export takes, as query parameters (GET) or JSON (POST), turned into ExportFilters.
import { z } from 'zod';
import { BATCH_STATUSES, IMAGE_STATUSES } from '@pixmill/batch-state';
import type { ImageStatus } from '@pixmill/db';
import { ValidationError } from '../errors';
import type { ExportFilters } from './export-rows';

const flagValue = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]);
const toBool = (v: boolean | string) => v === true || v === 'true' || v === '1';
const flag = flagValue.default(false).transform(toBool);
/** A flag whose absence is told apart from false (the filtered export takes it in two places). */
const maybeFlag = flagValue.optional().transform((v) => (v === undefined ? undefined : toBool(v)));

export const ExportFormatParam = z.enum(['csv', 'json', 'xlsx']);
export const DEFAULT_EXPORT_FORMAT = 'csv' as const;

export const filterFields = {
  metadata: flagValue
    .default(true)
    .transform(toBool)
    .describe('Add the metadata columns (input row, content type and hash, attempts, batch name); default true'),
  success_only: flag.describe('Only images that succeeded'),
  failed_only: flag.describe('Only images that failed'),
  start_date: z.coerce.date().optional().describe('Images finished at or after (ISO 8601)'),
  end_date: z.coerce.date().optional().describe('Images finished at or before (ISO 8601)'),
  has_store_name: flag.describe('Only images whose vision provider named a store (needs the `describe` analysis)'),
  has_contact: flag.describe('Only images with a business contact in their text (needs the `text` analysis)'),
};

export const ExportQuery = z.object({ format: ExportFormatParam.default(DEFAULT_EXPORT_FORMAT), ...filterFields });
/** The export's own query (the format it would be in, its filters) and the number of rows shown. */
export const PreviewQuery = z.object({
  format: ExportFormatParam.default(DEFAULT_EXPORT_FORMAT).describe(
    'The format the export would be in (the preview is JSON)',
  ),
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(100).default(100),
});

/**
 * The filters of an export across batches, as seed 002 nests them in `filters` (the same names are also taken at the
 * top level of the body; a filter given in both places must agree).
 */
export const GlobalFilters = z.strictObject({
  batch_ids: z.array(z.string()).max(500).optional().describe('Only these batches (default: all of yours)'),
  batch_status: z.array(z.enum(BATCH_STATUSES)).optional().describe('Only batches in these states'),
  image_status: z.array(z.enum(IMAGE_STATUSES)).optional().describe('Only images in these states'),
  created_from: z.coerce.date().optional().describe('Batches created at or after'),
  created_to: z.coerce.date().optional().describe('Batches created at or before'),
  success_only: maybeFlag.describe('Only images that succeeded'),
  failed_only: maybeFlag.describe('Only images that failed'),
  start_date: filterFields.start_date,
  end_date: filterFields.end_date,
  has_store_name: maybeFlag.describe(filterFields.has_store_name.description ?? ''),
  has_contact: maybeFlag.describe(filterFields.has_contact.description ?? ''),
});
export type GlobalFilters = z.output<typeof GlobalFilters>;

/** `filters` and the same fields at the top level as one set; a field in both with different values is a 400. */
export function mergeFilters(top: GlobalFilters, nested: GlobalFilters | undefined): GlobalFilters {
  const merged: Record<string, unknown> = { ...top };
  for (const [key, value] of Object.entries(nested ?? {})) {
    if (value === undefined) continue;
    const mine = merged[key];
    if (mine !== undefined && JSON.stringify(mine) !== JSON.stringify(value))
      throw new ValidationError(
        `${key} is given both in filters and at the top level, with different values`,
        { field: key },
        'conflicting_field',
      );
    merged[key] = value;
  }
  return merged as GlobalFilters;
}

/** The filters a client set, under the names it used (seed 002's `filters_applied`): defaults left out. */
export function filtersApplied(q: {
  metadata?: boolean;
  success_only?: boolean | undefined;
  failed_only?: boolean | undefined;
  start_date?: Date | undefined;
  end_date?: Date | undefined;
  has_store_name?: boolean | undefined;
  has_contact?: boolean | undefined;
}): Record<string, boolean | string> {
  return {
    ...(q.metadata === false ? { metadata: false } : {}),
    ...(q.success_only ? { success_only: true } : {}),
    ...(q.failed_only ? { failed_only: true } : {}),
    ...(q.start_date ? { start_date: q.start_date.toISOString() } : {}),
    ...(q.end_date ? { end_date: q.end_date.toISOString() } : {}),
    ...(q.has_store_name ? { has_store_name: true } : {}),
    ...(q.has_contact ? { has_contact: true } : {}),
  };
}

type FilterInput = {
  metadata: boolean;
  success_only?: boolean | undefined;
  failed_only?: boolean | undefined;
  start_date?: Date | undefined;
  end_date?: Date | undefined;
  image_status?: ImageStatus[] | undefined;
  has_store_name?: boolean | undefined;
  has_contact?: boolean | undefined;
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
