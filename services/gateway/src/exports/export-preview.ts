// A row of an export as seed 002's preview shows it (its URLAnalysisResult names and types), with pixmill's own
// columns beside them.
import type { ExportRow } from './export-rows';

const flagCell = (v: ExportRow[string] | undefined) => (v === 'true' ? true : v === 'false' ? false : null);
const textCell = (v: ExportRow[string] | undefined) => (v === undefined || v === null ? null : String(v));

export function previewRecord(row: ExportRow) {
  const source = textCell(row.source);
  return {
    url: source !== null && /^https?:\/\//i.test(source) ? source : null,
    success: row.status === 'succeeded',
    store_image: flagCell(row.store_image),
    text_content: textCell(row.text_content),
    store_name: textCell(row.store_name),
    business_contact: textCell(row.business_contact),
    image_description: textCell(row.image_description),
    error_message: textCell(row.error_message),
    created_at: textCell(row.created_at),
    image_id: textCell(row.image_id),
    status: textCell(row.status),
    variant: textCell(row.variant),
    output_url: textCell(row.output_url),
  };
}
