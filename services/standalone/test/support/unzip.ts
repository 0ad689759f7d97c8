// Reads a whole ZIP (a test's download) into its entries, with yauzl's checks of the archive's structure.
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export type UnzippedEntry = { name: string; data: Buffer; compression: number };

export function unzip(zip: Buffer): Promise<UnzippedEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, archive) => {
      if (err) return reject(err);
      const entries: UnzippedEntry[] = [];
      archive.on('error', reject);
      archive.on('end', () => resolve(entries));
      archive.on('entry', (entry: yauzl.Entry) => {
        archive.openReadStream(entry, (e, stream: Readable) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ name: entry.fileName, data: Buffer.concat(chunks), compression: entry.compressionMethod });
            archive.readEntry();
          });
        });
      });
      archive.readEntry();
    });
  });
}
