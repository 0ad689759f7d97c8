// Reads an export file back with the same libraries a client would use and counts its data rows, without holding
// the file's rows in memory: for checking that large exports (bench/export.bench.ts) are complete.
import { createReadStream, readFileSync } from 'node:fs';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';

export async function countExportRows(format: 'csv' | 'json' | 'xlsx', file: string): Promise<number> {
  if (format === 'csv') {
    let rows = 0;
    for await (const _record of createReadStream(file).pipe(parse({ bom: true, columns: true }))) rows++;
    return rows;
  }
  if (format === 'json') {
    const body = JSON.parse(readFileSync(file, 'utf8')) as { rows: unknown[]; row_count: number };
    if (body.rows.length !== body.row_count) {
      throw new Error(`JSON export says ${body.row_count} rows but holds ${body.rows.length}`);
    }
    return body.rows.length;
  }
  let rows = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { worksheets: 'emit', sharedStrings: 'cache' });
  for await (const sheet of reader) {
    // Sheet 1 is the results (sheet 2 the summary, read through too so the reader moves on); row 1 is the header.
    const results = String((sheet as unknown as { id: string | number }).id) === '1';
    for await (const row of sheet) if (results && (row as ExcelJS.Row).number > 1) rows++;
  }
  return rows;
}
