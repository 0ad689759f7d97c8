// Answers an export: headers (type, attachment name), the streamed body, then a row in the export log (only for an
// export that reached the client whole; an aborted download is not a finished export).
import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import archiver from 'archiver';
import type { Response } from 'express';
import type { Prisma, PrismaClient } from '@pixmill/db';
import { contentDisposition } from '@pixmill/storage';
import type { ExportRow } from './export-rows';
import { EXPORT_FORMATS, writeExport, type ExportFormat, type ExportMeta, type WriteResult } from './export-writers';

export type ExportLogEntry = {
  prisma: Pick<PrismaClient, 'exportLog'>;
  userId: string;
  batchIds: string[];
  filters: Record<string, unknown>;
};

export async function logExport(e: ExportLogEntry, format: string, r: WriteResult): Promise<void> {
  await e.prisma.exportLog.create({
    data: {
      userId: e.userId,
      batchIds: e.batchIds,
      format,
      rows: r.rows,
      bytes: BigInt(r.bytes),
      filters: e.filters as Prisma.InputJsonValue,
    },
  });
}

/** A file name from a batch name: letters, digits, dot, dash and underscore only. */
export function exportBaseName(name: string | null, id: string): string {
  const slug = (name ?? '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return `${slug || 'batch'}-${id.slice(0, 8)}`;
}

export async function sendExport(
  res: Response,
  o: {
    format: ExportFormat;
    baseName: string;
    rows: AsyncIterable<ExportRow>;
    columns: string[];
    meta: ExportMeta;
    log: ExportLogEntry;
  },
): Promise<void> {
  const f = EXPORT_FORMATS[o.format];
  res.status(200);
  res.setHeader('Content-Type', f.contentType);
  res.setHeader('Content-Disposition', contentDisposition(`${o.baseName}.${f.extension}`));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const result = await writeExport(o.format, o.rows, o.columns, o.meta, res);
  await logExport(o.log, o.format, result);
}

export type ZipEntry = { name: string; rows: () => AsyncIterable<ExportRow>; meta: ExportMeta };

/**
 * A ZIP with one export per entry. Entries are produced one after the other (the next starts when the archive has
 * taken the previous one), so the archive holds at most one entry's buffer whatever the number of batches.
 */
export async function sendZip(
  res: Response,
  o: { format: ExportFormat; fileName: string; entries: ZipEntry[]; columns: string[]; log: ExportLogEntry },
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'application/zip');
  res.setHeader('Content-Disposition', contentDisposition(o.fileName));
  res.setHeader('Cache-Control', 'no-store');
  const zip = archiver('zip', { zlib: { level: 6 } });
  let bytes = 0;
  zip.on('data', (c: Buffer) => (bytes += c.length));
  const piped = pipeTo(zip, res);
  let rows = 0;
  try {
    for (const e of o.entries) {
      const body = new PassThrough();
      const taken = once(zip, 'entry');
      zip.append(body, { name: `${e.name}.${EXPORT_FORMATS[o.format].extension}` });
      rows += (await writeExport(o.format, e.rows(), o.columns, e.meta, body)).rows;
      await taken;
    }
    await zip.finalize();
    await piped;
  } catch (err) {
    zip.abort();
    res.destroy(err as Error);
    throw err;
  }
  await logExport(o.log, `zip:${o.format}`, { rows, bytes });
}

function pipeTo(src: NodeJS.ReadableStream, dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    src.pipe(dest);
    dest.on('finish', resolve);
    dest.on('close', () => (dest.writableFinished ? resolve() : reject(new Error('the client went away'))));
    dest.on('error', reject);
    src.on('error', reject);
  });
}
