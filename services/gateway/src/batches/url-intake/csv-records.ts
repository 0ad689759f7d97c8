// Reading an input CSV the same way at intake and when writing results: BOM, CRLF, quotes and blank lines handled,
// data rows numbered from 1 after the header, a malformed file refused with the row where it went wrong.
import type { Readable } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import { ValidationError } from '../../errors';

export type CsvRecord = { row: number; cells: string[] };

/** Columns a header may have: far more than any real sheet, few enough that no row can be made huge through them. */
export const MAX_COLUMNS = 1000;

/** Where the parser is, updated as it emits each record (before the reader consumes it). */
type Position = { records: number; lastLine: number };

export type CsvReader = { parser: Parser; position: Position };

export function csvReader(): CsvReader {
  const position: Position = { records: 0, lastLine: 0 };
  const parser = parse({
    bom: true,
    // Short rows are padded; long rows are checked below (trailing empty cells from spreadsheets are fine).
    relax_column_count: true,
    // `12" frame` in an unquoted cell is common and harmless; an unclosed quoted field is still an error.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    // One field may hold many URLs, but not a whole file of them.
    max_record_size: 1024 * 1024,
    // Runs as the parser emits each record, ahead of the reader: each record carries its own line.
    on_record: (record: string[], ctx) => {
      const line = position.lastLine + 1;
      position.records++;
      position.lastLine = ctx.lines;
      return { cells: record, line } as unknown as string[];
    },
  });
  return { parser, position };
}

/**
 * Reads the header, then yields data rows. Any parse failure becomes a 400 naming the data row (and the line it
 * starts on); a row with more non-empty fields than the header is refused the same way.
 */
export async function* readCsv(
  reader: CsvReader,
  onHeader: (header: string[]) => void,
): AsyncGenerator<CsvRecord, { rows: number }, undefined> {
  let header: string[] | undefined;
  let rows = 0;
  try {
    for await (const { cells: record, line } of reader.parser as AsyncIterable<{ cells: string[]; line: number }>) {
      if (!header) {
        if (record.length > MAX_COLUMNS)
          throw malformed(0, line, `the header has ${record.length} columns; at most ${MAX_COLUMNS}`);
        header = record.map((h) => h.trim());
        onHeader(header);
        continue;
      }
      rows++;
      if (record.length > header.length && record.slice(header.length).some((c) => c.trim() !== '')) {
        throw malformed(
          rows,
          line,
          `it has ${record.length} fields but the header has ${header.length} (is a cell with commas not quoted?)`,
        );
      }
      yield { row: rows, cells: record.length > header.length ? record.slice(0, header.length) : record };
    }
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) {
      // The parser runs ahead of this loop: its own count says which record failed.
      const { records, lastLine } = reader.position;
      throw malformed(records, lastLine + 1, reason(code, err as Error));
    }
    throw err;
  }
  if (!header)
    throw new ValidationError(
      'the CSV is empty: it needs a header row and at least one row of URLs',
      undefined,
      'empty_csv',
    );
  return { rows };
}

function malformed(row: number, line: number, why: string): ValidationError {
  const where = row === 0 ? `the header (line ${line})` : `row ${row} (line ${line})`;
  return new ValidationError(`malformed CSV at ${where}: ${why}`, { row, line }, 'malformed_csv');
}

function reason(code: string, err: Error): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'characters follow a closing quote';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a row is larger than 1 MiB';
    default:
      return err.message.replace(/^[A-Za-z ]+: /, '');
  }
}

/** A reader fed from a stream (the results CSV reads the stored input.csv back this way). */
export function readerFor(source: Readable): CsvReader {
  const reader = csvReader();
  source.on('error', (err) => reader.parser.destroy(err));
  source.pipe(reader.parser);
  return reader;
}
