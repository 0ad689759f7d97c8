// A writable stream into a new file that opens the file itself, so it can be put at the end of a pipeline at once:
// the pipeline listens to the body from the first moment, while the file is still being opened.
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

export class TempFileSink extends Writable {
  private handle?: FileHandle;
  /** Settles once the file is closed (or was never opened): only then may it be renamed or removed. */
  readonly released: Promise<void>;

  constructor(private readonly open: () => Promise<FileHandle>) {
    super();
    this.released = new Promise((resolve) => this.once('close', resolve));
  }

  override _construct(done: (err?: Error | null) => void): void {
    this.open().then(
      (handle) => {
        this.handle = handle;
        done();
      },
      (err: Error) => done(err),
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.handle!.write(chunk).then(
      () => done(),
      (err: Error) => done(err),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.handle!.writev(chunks.map((c) => c.chunk)).then(
      () => done(),
      (err: Error) => done(err),
    );
  }

  // Synced before it counts as written, so a crash can't leave an empty file under a name the database points to.
  override _final(done: (err?: Error | null) => void): void {
    this.handle!.sync().then(
      () => done(),
      (err: Error) => done(err),
    );
  }

  // Called after _construct has finished even when the stream is destroyed while the file is opening.
  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const handle = this.handle;
    if (!handle) return done(err);
    handle.close().then(
      () => done(err),
      (closeErr: Error) => done(err ?? closeErr),
    );
  }
}
