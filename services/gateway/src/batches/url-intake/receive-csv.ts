// An uploaded CSV, streamed once: every byte goes on to storage (input.csv, kept for the results CSV) and through
// the parser at the same time, with backpressure from both. Nothing holds the file in memory.
import { isUtf8 } from 'node:buffer';
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { ObjectStore } from '@pixmill/storage';
import { PayloadTooLargeError, ValidationError } from '../../errors';
import { inputCsvKey } from '@pixmill/contracts';
import { csvReader, readCsv } from './csv-records';
import { storeManifests, UrlIntake, type IntakeLimits, type IntakeSummary, type SaveManifest } from './url-intake';

export type CsvIntakeResult = IntakeSummary & { sourceKey: string; bytes: number };

/** Where an uploaded CSV goes as it streams: its bytes, and the manifest of each chunk as the chunk closes. */
export type CsvSink = {
  saveSource(key: string, body: Readable | Buffer): Promise<unknown>;
  saveManifest: SaveManifest;
};

/** The CSV and its manifests to storage: what a batch is created from. */
export const storeCsv = (store: Pick<ObjectStore, 'put'>): CsvSink => ({
  saveSource: (key, body) =>
    store.put(key, body, {
      contentType: 'text/csv; charset=utf-8',
      ...(Buffer.isBuffer(body) ? { contentLength: body.length } : {}),
    }),
  saveManifest: storeManifests(store),
});

export type ReceiveCsvOptions = {
  sink: CsvSink;
  batchId: string;
  maxBytes: number;
  limits: IntakeLimits;
};

/** Bytes looked at to tell a text file from a binary one. */
const SNIFF_BYTES = 4096;

export async function receiveCsv(source: Readable, o: ReceiveCsvOptions): Promise<CsvIntakeResult> {
  const sourceKey = inputCsvKey(o.batchId);
  const intake = new UrlIntake(o.batchId, o.limits, o.sink.saveManifest);
  let bytes = 0;
  let sniffed = false;
  const utf8 = utf8Checker();
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > o.maxBytes) {
        return cb(
          new PayloadTooLargeError(`the file is larger than the limit of ${o.maxBytes} bytes`, {
            limit_bytes: o.maxBytes,
          }),
        );
      }
      if (!sniffed) {
        sniffed = true;
        const problem = notText(chunk.subarray(0, SNIFF_BYTES));
        if (problem) return cb(new ValidationError(`the file is not a CSV: ${problem}`, undefined, 'not_a_csv'));
      }
      if (!utf8.push(chunk)) return cb(notUtf8(utf8.checked));
      cb(null, chunk);
    },
    flush(cb) {
      cb(utf8.end() ? null : notUtf8(utf8.checked));
    },
  });
  const toStore = new PassThrough();
  const reader = csvReader();
  const { parser } = reader;

  let failure: unknown;
  const fail = (err: unknown) => {
    if (failure) return;
    failure = err;
    // Stop both consumers and let the rest of the upload drain, so the HTTP answer can go out.
    source.unpipe(meter);
    source.resume();
    meter.destroy();
    toStore.destroy(err instanceof Error ? err : new Error(String(err)));
    parser.destroy();
  };
  meter.on('error', fail);
  source.on('error', fail);

  const stored = o.sink.saveSource(sourceKey, toStore);
  stored.catch(fail);
  const parsed = (async () => {
    const rows = readCsv(reader, (header) => intake.setHeader(header));
    for await (const r of rows) await intake.addRow(r.row, r.cells);
    return intake.finish();
  })();
  parsed.catch(fail);

  source.pipe(meter);
  meter.pipe(toStore);
  meter.pipe(parser);

  try {
    const [summary] = await Promise.all([parsed, stored]);
    return { ...summary, sourceKey, bytes };
  } catch (err) {
    // Let the storage write and manifest writes finish failing before the caller deletes what they left.
    await Promise.allSettled([parsed, stored, intake.settle()]);
    throw failure ?? err;
  }
}

/** Why these first bytes are not CSV text, if they are not: NUL bytes, or the magic of a known binary format. */
function notText(head: Buffer): string | undefined {
  if (head.length === 0) return undefined;
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])))
    return 'it is a ZIP archive (an .xlsx spreadsheet? save it as CSV)';
  if (head.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])))
    return 'it is an old Excel (.xls) file; save it as CSV';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'it is a PDF';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
    return 'it is UTF-16 text; save it as UTF-8';
  if (head.includes(0)) return 'it contains binary data';
  return undefined;
}

/**
 * Checks a byte stream is UTF-8 as it passes (a multi-byte character may be split between chunks: its start is
 * carried over). Spreadsheets often save "CSV" in a legacy code page; guessing would garble names and URLs.
 */
function utf8Checker() {
  let carry = Buffer.alloc(0);
  const state = {
    checked: 0,
    push(chunk: Buffer): boolean {
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const cut = lastCompleteChar(data);
      if (!isUtf8(data.subarray(0, cut))) {
        state.checked += firstInvalidUtf8(data.subarray(0, cut));
        return false;
      }
      state.checked += cut;
      carry = Buffer.from(data.subarray(cut));
      return true;
    },
    end: (): boolean => carry.length === 0,
  };
  return state;
}

/**
 * Offset of the first byte of `b` that is not well-formed UTF-8: Node's decoder puts U+FFFD where each bad sequence
 * was, so the first U+FFFD that the file did not itself contain (as EF BF BD) marks it.
 */
function firstInvalidUtf8(b: Buffer): number {
  const text = b.toString('utf8');
  let at = 0;
  let offset = 0;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(text.slice(at, i));
    at = i;
    if (b[offset] !== 0xef || b[offset + 1] !== 0xbf || b[offset + 2] !== 0xbd) return offset;
  }
  return b.length;
}

/** Index just after the last complete UTF-8 sequence in `b` (the rest may continue in the next chunk). */
function lastCompleteChar(b: Buffer): number {
  let i = b.length - 1;
  while (i >= 0 && b.length - i <= 4 && (b[i]! & 0xc0) === 0x80) i--;
  if (i < 0 || b.length - i > 4) return b.length; // no lead byte near the end: let the check judge it all
  const lead = b[i]!;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return b.length - i >= size ? b.length : i;
}

function notUtf8(nearByte: number): ValidationError {
  return new ValidationError(
    `the file is not UTF-8 text (near byte ${nearByte}); save it as "CSV UTF-8"`,
    { near_byte: nearByte },
    'not_utf8',
  );
}
