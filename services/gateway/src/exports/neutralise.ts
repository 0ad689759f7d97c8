// CSV/formula injection: a spreadsheet treats a cell starting with = + - @ (or a tab or CR, which some programs
// strip before looking) as a formula. Such text cells get a leading apostrophe, which spreadsheets show as text.
// Numbers stay numbers: only strings come from outside (URLs, names, error messages, input columns).
import type { Cell, ExportRow } from './export-rows';

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralise<T extends Cell | undefined>(value: T): T {
  return (typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value) as T;
}

export function neutraliseRow(row: ExportRow): ExportRow {
  const out: ExportRow = {};
  for (const [k, v] of Object.entries(row)) out[k] = neutralise(v);
  return out;
}
