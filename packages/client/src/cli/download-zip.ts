// `pixmill download`: the batch's outputs.zip to a temporary file beside the destination, then its entries written
// out, skipping each file already there with the entry's size: running it again after an interruption resumes.
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { PixmillClient } from '../client';
import { errorOf } from '../errors';

export type DownloadResult = { written: string[]; skipped: string[]; bytes: number };

export async function downloadOutputs(
  c: PixmillClient,
  id: string,
  o: { out: string; variant?: string; onBytes?: (received: number, total: number | null) => void },
): Promise<DownloadResult> {
  mkdirSync(o.out, { recursive: true });
  const res = await c.fetch(
    `/api/v1/batches/${id}/outputs.zip${o.variant ? `?variant=${encodeURIComponent(o.variant)}` : ''}`,
  );
  if (!res.ok || !res.body) throw errorOf(res.status, await res.json().catch(() => null));
  const zipFile = path.join(o.out, `.pixmill-${id}.zip.part`);
  const total = Number(res.headers.get('Content-Length')) || null;
  let received = 0;
  const body = Readable.fromWeb(res.body as never);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    o.onBytes?.(received, total);
  });
  try {
    await pipeline(body, createWriteStream(zipFile));
    return await extract(zipFile, o.out, received);
  } finally {
    rmSync(zipFile, { force: true });
  }
}

function extract(zipFile: string, out: string, bytes: number): Promise<DownloadResult> {
  const root = path.resolve(out);
  const result: DownloadResult = { written: [], skipped: [], bytes };
  return new Promise((resolve, reject) => {
    yauzl.open(zipFile, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => resolve(result));
      zip.on('entry', (entry: yauzl.Entry) => {
        const target = path.resolve(root, entry.fileName);
        // The server names entries safely; a client checks anyway.
        if (!target.startsWith(root + path.sep) || entry.fileName.endsWith('/')) return zip.readEntry();
        if (existsSync(target) && statSync(target).size === entry.uncompressedSize) {
          result.skipped.push(entry.fileName);
          return zip.readEntry();
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          mkdirSync(path.dirname(target), { recursive: true });
          pipeline(stream, createWriteStream(target)).then(() => {
            result.written.push(entry.fileName);
            zip.readEntry();
          }, reject);
        });
      });
      zip.readEntry();
    });
  });
}
