// The JSON answers of the export routes, as zod schemas: the OpenAPI document is rendered from them and the test
// suite checks live answers against them.
import { z } from 'zod';

const Cell = z.union([z.string(), z.number(), z.null()]);
const counts = z.record(z.string(), z.number().int());

export const PreviewResponse = z.object({
  preview_records: z.array(
    z.object({
      url: z.string().nullable().describe('The image URL (null for an uploaded file)'),
      success: z.boolean().describe('The image was processed'),
      store_image: z.boolean().nullable().describe('From the describe analysis; null without it'),
      text_content: z.string().nullable(),
      store_name: z.string().nullable(),
      business_contact: z.string().nullable(),
      image_description: z.string().nullable(),
      error_message: z.string().nullable(),
      created_at: z.iso.datetime().nullable(),
      image_id: z.string().nullable(),
      status: z.string().nullable(),
      variant: z.string().nullable().describe('The output variant of this row (one row per variant)'),
      output_url: z.string().nullable().describe('Signed download URL of the output'),
    }),
  ),
  total_records_shown: z.number().int(),
  is_preview: z.literal(true),
  filters_applied: z.record(z.string(), z.union([z.boolean(), z.string()])).describe('The filters given, by name'),
  format: z.enum(['csv', 'json', 'xlsx']).describe('The format the export would be in'),
  batch_id: z.string(),
  columns: z.array(z.string()).describe('The columns of the export'),
  rows: z.array(z.record(z.string(), Cell)).describe('The same rows, as the export has them'),
});

export const SummaryResponse = z.object({
  batch_info: z.object({
    batch_id: z.string(),
    batch_name: z.string().nullable(),
    status: z.string(),
    created_at: z.iso.datetime(),
  }),
  export_summary: z.object({
    total_results: z.number().int().describe('Images the export holds, with the filters given'),
    successful_results: z.number().int(),
    failed_results: z.number().int(),
    success_rate: z.number().describe('Percent of total_results that succeeded'),
  }),
  estimated_sizes_mb: z.record(z.string(), z.number()).describe('Estimated file size per format, in MiB'),
  available_filters: z.record(z.string(), z.string()).describe('What each filter would leave of the batch'),
  batch_id: z.string(),
  batch_name: z.string().nullable(),
  batch_status: z.string(),
  images: z.number().int(),
  rows: z.number().int().describe('Rows: one per output variant, at least one per image'),
  images_by_status: counts,
  columns: z.array(z.string()),
  estimated_bytes: z.record(z.string(), z.number().int()),
  estimate_basis: z.string(),
});

const FormatInfo = z.object({
  name: z.string(),
  description: z.string(),
  supports_filtering: z.boolean(),
  supports_metadata: z.boolean(),
  file_extension: z.string().describe('With the dot: `.csv`'),
  mime_type: z.string(),
});

export const FormatsResponse = z.object({
  supported_formats: z.record(z.string(), FormatInfo),
  default_format: z.string(),
  formats: z.array(
    z.object({ format: z.string(), content_type: z.string(), extension: z.string(), description: z.string() }),
  ),
  columns: z.array(z.string()).describe('Columns of every export'),
  metadata_columns: z.array(z.string()).describe('Columns added by `metadata` (default true)'),
  filters: z.array(z.string()),
});

const FormatTotals = z.object({ exports: z.number().int(), rows: z.number().int(), bytes: z.number().int() });

export const StatisticsResponse = z.object({
  since: z.iso.datetime(),
  total_exports: z.number().int().describe('Exports since `since`'),
  exports_today: z.number().int().describe('Exports since midnight UTC'),
  popular_formats: z.record(z.string(), z.number().int()).describe('Exports by format (a ZIP counts as its files’)'),
  average_export_size_mb: z.number().describe('Mean size of an export since `since`, in MiB'),
  total_rows: z.number().int(),
  total_bytes: z.number().int(),
  by_format: z.record(z.string(), FormatTotals),
  by_day: z.array(z.object({ day: z.string(), exports: z.number().int(), rows: z.number().int() })),
  recent: z.array(
    z.object({
      id: z.string(),
      format: z.string(),
      batch_ids: z.array(z.string()),
      rows: z.number().int(),
      bytes: z.number().int(),
      filters: z.unknown(),
      created_at: z.iso.datetime(),
    }),
  ),
});
