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
export const IMAGE_STATUSES = ['pending', 'fetching', 'processing', 'succeeded', 'failed', 'cancelled'] as const;

export const filterFields = {
  metadata: flag.describe('Add metadata columns (input row, content type and hash, attempts, batch name)'),
  success_only: flag.describe('Only images that succeeded'),
  failed_only: flag.describe('Only images that failed'),
  start_date: z.coerce.date().optional().describe('Images finished at or after (ISO 8601)'),
  end_date: z.coerce.date().optional().describe('Images finished at or before (ISO 8601)'),
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
  };
}

/** The filters as recorded in the export log and shown in the export itself. */
export function describeFilters(f: ExportFilters, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(f.statuses ? { image_status: f.statuses } : {}),
    ...(f.startDate ? { start_date: f.startDate.toISOString() } : {}),
    ...(f.endDate ? { end_date: f.endDate.toISOString() } : {}),
    metadata: f.metadata,
    ...extra,
  };
}
