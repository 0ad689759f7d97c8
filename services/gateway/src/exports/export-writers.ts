// Streams rows out as CSV (csv-stringify), JSON (written by hand, one row at a time) or XLSX (exceljs's streaming
// WorkbookWriter), with backpressure from the destination, and counts what went out for the export log.
import { once } from 'node:events';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { ExportRow } from './export-rows';
import { neutraliseRow } from './neutralise';
import { XlsxWorkbookWriter } from './xlsx-workbook-writer';

export const EXPORT_FORMATS = {
  csv: {
    name: 'Comma Separated Values',
    purpose: 'Standard CSV format for spreadsheet applications',
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    description: 'Comma-separated, UTF-8 with BOM, header row; formula-like cells neutralised',
  },
  json: {
    name: 'JavaScript Object Notation',
    purpose: 'JSON format for API integrations',
    contentType: 'application/json; charset=utf-8',
    extension: 'json',
    description: '{ "export": {...}, "rows": [...], "row_count": n }',
  },
  xlsx: {
    name: 'Microsoft Excel',
    purpose: 'Excel format with multiple sheets',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
    description: 'Excel workbook: sheets "results" and "summary"; formula-like cells neutralised',
  },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

export type ExportMeta = { title: string; filters: Record<string, unknown>; summary: [string, string | number][] };
export type WriteResult = { rows: number; bytes: number };

/** Counts bytes on their way to the destination. */
function byteCounter() {
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream: t, bytes: () => bytes };
}

export async function writeExport(
  format: ExportFormat,
  rows: AsyncIterable<ExportRow>,
  columns: string[],
  meta: ExportMeta,
  out: Writable,
): Promise<WriteResult> {
  const counter = byteCounter();
  let count = 0;
  const counted = async function* () {
    for await (const row of rows) {
      count++;
      yield row;
    }
  };

  if (format === 'csv') {
    const safe = async function* () {
      for await (const row of counted()) yield neutraliseRow(row);
    };
    await pipeline(
      Readable.from(safe(), { objectMode: true, highWaterMark: 64 }),
      stringify({ header: true, columns, bom: true, cast: { date: (d) => d.toISOString() } }),
      counter.stream,
      out,
    );
  } else if (format === 'json') {
    const chunks = async function* () {
      yield `{"export":${JSON.stringify({ title: meta.title, exported_at: new Date().toISOString(), filters: meta.filters, columns })},"rows":[`;
      let first = true;
      for await (const row of counted()) {
        yield (first ? '\n' : ',\n') + JSON.stringify(row);
        first = false;
      }
      yield `\n],"row_count":${count}}\n`;
    };
    await pipeline(Readable.from(chunks()), counter.stream, out);
  } else {
    // When the client goes away the pipeline fails at once; the workbook may be waiting for 'drain' meanwhile.
    const gone = new AbortController();
    const done = pipeline(counter.stream, out);
    done.catch((err: unknown) => gone.abort(err));
    try {
      await writeXlsx(counter.stream, counted(), columns, meta, () => count, gone.signal);
    } catch (err) {
      counter.stream.destroy(err as Error);
      await done.catch(() => undefined);
      throw err;
    }
    await done;
  }
  return { rows: count, bytes: counter.bytes() };
}

async function writeXlsx(
  stream: Transform,
  rows: AsyncIterable<ExportRow>,
  columns: string[],
  meta: ExportMeta,
  count: () => number,
  gone: AbortSignal,
): Promise<void> {
  const wb = new XlsxWorkbookWriter({ stream, useStyles: false, useSharedStrings: false });
  const sheet = wb.addWorksheet('results');
  sheet.columns = columns.map((c) => ({ header: c, key: c }));
  const xml = wb.sheetStream(1);
  if (!xml) throw new Error('exceljs did not open the results sheet through XlsxWorkbookWriter._openStream');
  for await (const row of rows) {
    sheet.addRow(neutraliseRow(row)).commit();
    // The sheet's XML waits here, uncompressed, until the zip (and so the client) has taken what came before.
    if (xml.writableNeedDrain) await once(xml, 'drain', { signal: gone });
  }
  sheet.commit();
  const summary = wb.addWorksheet('summary');
  summary.columns = [
    { header: 'field', key: 'field' },
    { header: 'value', key: 'value' },
  ];
  for (const [field, value] of [...meta.summary, ['exported_rows', count()] as [string, number]]) {
    summary.addRow(neutraliseRow({ field, value })).commit();
  }
  summary.addRow({ field: 'filters', value: neutraliseRow({ v: JSON.stringify(meta.filters) }).v }).commit();
  summary.commit();
  await wb.commit();
}
