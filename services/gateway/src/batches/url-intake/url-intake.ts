// Turns parsed rows into what a URL batch is made of, in one pass with memory bounded by one chunk: the URL count,
// the chunks (row ranges) and their manifests in storage, and for each repeated URL where it first occurred.
import { PayloadTooLargeError, ValidationError } from '../../errors';
import { chunkManifestKey, type ChunkManifest, type UrlPosition } from '@pixmill/contracts';
import type { ObjectStore } from '@pixmill/storage';
import { detectShape, urlsOf, type CsvShape } from './csv-shape';
import { urlHash } from './url-hash';

export type IntakeLimits = { chunkSize: number; maxRows: number; maxUrls: number };

export type ChunkPlan = { seq: number; firstRow: number; rowCount: number; urlCount: number };

export type IntakeSummary = {
  columns: string[];
  shape: CsvShape;
  rows: number;
  urls: number;
  distinctUrls: number;
  chunks: ChunkPlan[];
};

/** Where a chunk's manifest goes once the chunk closes: storage, or (preflight) a reader that keeps nothing. */
export type SaveManifest = (manifest: ChunkManifest) => Promise<unknown>;

/** Manifests to storage, at their deterministic keys (the ingest worker reads them there). */
export const storeManifests =
  (store: Pick<ObjectStore, 'put'>): SaveManifest =>
  (manifest) => {
    const body = Buffer.from(JSON.stringify(manifest));
    return store.put(chunkManifestKey(manifest.batchId, manifest.seq), body, {
      contentType: 'application/json',
      contentLength: body.length,
    });
  };

type PendingChunk = { firstRow: number; rowCount: number; urlCount: number; rows: ChunkManifest['rows'] };

/** URLs in one cell beyond this are refused: positions pack (row, index) into one number. */
export const MAX_URLS_PER_CELL = 1000;
/** Manifests written at once: enough to hide storage latency, few enough to keep memory flat. */
const MANIFEST_WRITES_IN_FLIGHT = 4;

export class UrlIntake {
  private shapeOf?: CsvShape;
  private header: string[] = [];
  private rowCount = 0;
  private urlCount = 0;
  // Hash of a URL → its first position (row * MAX_URLS_PER_CELL + index): ~10 MB for 200k URLs.
  private readonly firstSeen = new Map<number, number>();
  private current?: PendingChunk;
  private readonly chunks: ChunkPlan[] = [];
  private readonly writes = new Set<Promise<void>>();
  private writeError: unknown;

  constructor(
    private readonly batchId: string,
    private readonly limits: IntakeLimits,
    private readonly saveManifest: SaveManifest,
  ) {}

  setHeader(header: string[]): void {
    this.shapeOf = detectShape(header);
    this.header = header;
  }

  get shape(): CsvShape {
    if (!this.shapeOf) throw new Error('UrlIntake: header not set');
    return this.shapeOf;
  }

  async addRow(row: number, cells: string[]): Promise<void> {
    if (this.writeError) throw this.writeError;
    if (row > this.limits.maxRows) {
      throw new PayloadTooLargeError(`the file has more than ${this.limits.maxRows} rows`, {
        reason: 'too_many_rows',
        limit_rows: this.limits.maxRows,
      });
    }
    this.rowCount = row;
    const urls = urlsOf(this.shape, cells);
    if (urls.length > MAX_URLS_PER_CELL) {
      throw new ValidationError(
        `row ${row} has ${urls.length} URLs; at most ${MAX_URLS_PER_CELL} in one cell`,
        { row },
        'too_many_urls_in_cell',
      );
    }
    if (this.urlCount + urls.length > this.limits.maxUrls) {
      throw new PayloadTooLargeError(`the file has more than ${this.limits.maxUrls} URLs`, {
        reason: 'too_many_urls',
        limit_urls: this.limits.maxUrls,
      });
    }
    this.urlCount += urls.length;

    const chunk = (this.current ??= { firstRow: row, rowCount: 0, urlCount: 0, rows: [] });
    chunk.rowCount = row - chunk.firstRow + 1;
    if (urls.length > 0) {
      chunk.urlCount += urls.length;
      chunk.rows.push({ row, cells, urls: urls.map((url, i) => this.position(url, row, i)) });
    }
    // A row is never split; a chunk closes at CHUNK_SIZE URLs or CHUNK_SIZE rows, whichever comes first.
    if (chunk.urlCount >= this.limits.chunkSize || chunk.rowCount >= this.limits.chunkSize) await this.closeChunk();
  }

  async finish(): Promise<IntakeSummary> {
    if (!this.shapeOf)
      throw new ValidationError(
        'the CSV is empty: it needs a header row and at least one row of URLs',
        undefined,
        'empty_csv',
      );
    if (this.current) await this.closeChunk();
    await Promise.all(this.writes);
    if (this.writeError) throw this.writeError;
    if (this.urlCount === 0) {
      throw new ValidationError(
        this.rowCount === 0 ? 'the CSV has a header but no rows' : `none of the ${this.rowCount} rows has a URL`,
        { rows: this.rowCount },
        'no_urls',
      );
    }
    return {
      columns: this.header,
      shape: this.shapeOf,
      rows: this.rowCount,
      urls: this.urlCount,
      distinctUrls: this.firstSeen.size,
      chunks: this.chunks,
    };
  }

  /** Waits for manifest writes still in flight (call before cleaning up after a failure). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.writes);
  }

  private position(url: string, row: number, index: number): { url: string; dupOf?: UrlPosition } {
    const key = urlHash(url);
    const first = this.firstSeen.get(key);
    if (first === undefined) {
      this.firstSeen.set(key, row * MAX_URLS_PER_CELL + index);
      return { url };
    }
    return { url, dupOf: [Math.floor(first / MAX_URLS_PER_CELL), first % MAX_URLS_PER_CELL] };
  }

  private async closeChunk(): Promise<void> {
    const chunk = this.current;
    if (!chunk) return;
    this.current = undefined;
    const seq = this.chunks.length + 1;
    this.chunks.push({ seq, firstRow: chunk.firstRow, rowCount: chunk.rowCount, urlCount: chunk.urlCount });
    const manifest: ChunkManifest = {
      v: 1,
      batchId: this.batchId,
      seq,
      firstRow: chunk.firstRow,
      rowCount: chunk.rowCount,
      rows: chunk.rows,
    };
    const write = this.saveManifest(manifest).then(
      () => undefined,
      (err: unknown) => {
        this.writeError ??= err;
      },
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    // Backpressure: parsing waits while too many manifests are on their way to storage.
    while (this.writes.size >= MANIFEST_WRITES_IN_FLIGHT) await Promise.race(this.writes);
  }
}
