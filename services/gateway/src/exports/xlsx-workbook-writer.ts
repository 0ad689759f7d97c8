// exceljs's streaming WorkbookWriter with backpressure. Out of the box it writes each sheet's XML into a buffer
// of its own (StreamBuf) that ignores whether the zip behind it keeps up: with a slow (or stalled) client every row
// of the export piles up there, uncompressed. Here each part of the workbook is written into a plain PassThrough
// that the zip reads with ordinary stream backpressure, so `write` says when to stop and 'drain' when to go on.
// Relies on WorkbookWriter._openStream and this.zip of exceljs 4.4.0 (pinned; checked by the export tests).
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';

/** exceljs also writes its own reusable string buffer (StringBuf), which it resets after the call. */
type StringBufLike = { toBuffer(): Buffer };
const isStringBuf = (v: unknown): v is StringBufLike =>
  typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && typeof (v as StringBufLike).toBuffer === 'function';

class PartStream extends PassThrough {
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    // Copied now: exceljs reuses the StringBuf for the next part of the XML once this call returns.
    const data = isStringBuf(chunk) ? chunk.toBuffer() : chunk;
    return (super.write as (...a: unknown[]) => boolean)(data, encoding, cb);
  }
}

type ZipAppender = { append(source: NodeJS.ReadableStream, o: { name: string }): void };

export class XlsxWorkbookWriter extends ExcelJS.stream.xlsx.WorkbookWriter {
  /** The stream of each part (worksheet XML, relations...) by its path in the zip. */
  readonly parts = new Map<string, PassThrough>();

  /** Replaces exceljs's own (same contract: queue the part in the zip, emit 'zipped' once it is all written). */
  _openStream(path: string): PassThrough {
    const stream = new PartStream({ highWaterMark: 64 * 1024 });
    (this as unknown as { zip: ZipAppender }).zip.append(stream, { name: path });
    stream.on('finish', () => stream.emit('zipped'));
    this.parts.set(path, stream);
    return stream;
  }

  /** The XML stream of a worksheet (1 = the first added); opened by exceljs on the sheet's first write. */
  sheetStream(id: number): PassThrough | undefined {
    return this.parts.get(`/xl/worksheets/sheet${id}.xml`);
  }
}
