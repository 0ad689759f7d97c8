// Counts the bytes of a body on their way to a backend, and refuses a body whose length is not the announced one.
import { Transform, type TransformCallback } from 'node:stream';

export class BodyLengthError extends Error {
  override readonly name = 'BodyLengthError';
}

export class ByteMeter extends Transform {
  bytes = 0;
  constructor(private readonly expected?: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected !== undefined && this.bytes > this.expected) {
      done(new BodyLengthError(`body is longer than the announced ${this.expected} bytes`));
      return;
    }
    done(null, chunk);
  }

  // Failing here, before the stream ends, makes the backend abort instead of storing a short object.
  override _flush(done: TransformCallback): void {
    if (this.expected !== undefined && this.bytes !== this.expected) {
      done(new BodyLengthError(`body has ${this.bytes} bytes, ${this.expected} were announced`));
      return;
    }
    done();
  }
}

export function assertBufferLength(body: Buffer, expected?: number): void {
  if (expected !== undefined && body.length !== expected) {
    throw new BodyLengthError(`body has ${body.length} bytes, ${expected} were announced`);
  }
}
