// Which input CSV this is, from its header: a `url` column (one URL a row), or a product sheet whose
// `Input Image Urls` cell holds several comma-separated URLs. Headers match regardless of case and spacing.
import { ValidationError } from '../../errors';

export type CsvShape =
  | { kind: 'url'; urlColumn: number }
  | {
      kind: 'product';
      urlColumn: number;
      /** Set when the sheet has the seed columns too: results then start `S. No.,Product Name,Input Image Urls,Output Image Urls`. */
      serialColumn?: number;
      nameColumn?: number;
    };

/** `Input Image Urls`, ` input_image_urls `, `INPUTIMAGEURLS` all compare equal. */
export const normalizeHeader = (h: string): string => h.toLowerCase().replace(/[\s_\-.]+/g, '');

const PRODUCT_URLS = new Set(['inputimageurls', 'inputimageurl']);
const URL_COLUMNS = ['url', 'imageurl', 'urls', 'imageurls', 'imagelink', 'link'];
const SERIAL = new Set(['sno', 'serialno', 'serialnumber', 'srno']);
const NAME = new Set(['productname']);

export function detectShape(header: readonly string[]): CsvShape {
  const names = header.map(normalizeHeader);
  const productUrls = names.findIndex((n) => PRODUCT_URLS.has(n));
  if (productUrls >= 0) {
    const serial = names.findIndex((n) => SERIAL.has(n));
    const name = names.findIndex((n) => NAME.has(n));
    return {
      kind: 'product',
      urlColumn: productUrls,
      ...(serial >= 0 && name >= 0 ? { serialColumn: serial, nameColumn: name } : {}),
    };
  }
  for (const wanted of URL_COLUMNS) {
    const i = names.indexOf(wanted);
    if (i >= 0) return { kind: 'url', urlColumn: i };
  }
  const shown = header
    .slice(0, 20)
    .map((h) => JSON.stringify(h))
    .join(', ');
  throw new ValidationError(
    `the CSV has no URL column: expected a "url" column, or the product sheet columns "S. No.", "Product Name", "Input Image Urls" (found ${shown || 'no columns'})`,
    { columns: header.slice(0, 100) },
    'missing_url_column',
  );
}

/**
 * The URLs of a row. A `url` cell is one URL. A product cell is split on whitespace and on commas that start a new
 * URL (`, https://...`), so a comma inside a URL (`/w_400,h_300/`) stays part of it.
 */
export function urlsOf(shape: CsvShape, cells: readonly string[]): string[] {
  const cell = cells[shape.urlColumn] ?? '';
  if (shape.kind === 'url') {
    const url = cell.trim();
    return url === '' ? [] : [url];
  }
  return cell
    .split(/\s+|,(?=\s*[A-Za-z][A-Za-z0-9+.-]*:)/)
    .map((s) => s.replace(/^,+|,+$/g, '').trim())
    .filter((s) => s !== '');
}

/** How the input joined its URLs, so the output cell reads the same way (`a,b` or `a, b`). */
export function urlSeparator(shape: CsvShape, cells: readonly string[]): string {
  return shape.kind === 'product' && /,\s/.test(cells[shape.urlColumn] ?? '') ? ', ' : ',';
}
