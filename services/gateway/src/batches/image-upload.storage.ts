// A multer storage engine that streams each uploaded file straight to object storage (the gateway never holds a
// batch in memory), after checking by its first bytes, not its name, that it is an image we accept.
import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { extensionOf, sniffImageType, type ImageFormat } from '@pixmill/imaging';
import type { ObjectStore } from '@pixmill/storage';
import { ValidationError } from '../errors';

const SNIFF_BYTES = 32;

export type StoredUpload = { imageId: string; key: string; format: ImageFormat; size: number };

/** Where this engine put the file: set on multer's file object. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-namespace
    namespace Multer {
      interface File {
        stored?: StoredUpload;
      }
    }
  }
}

export function imageUploadStorage(
  store: Pick<ObjectStore, 'put' | 'delete'>,
  keyPrefix: (req: Request) => string,
): StorageEngine {
  return {
    _handleFile(req, file, cb) {
      readHead(file.stream, SNIFF_BYTES)
        .then(async ({ head, ended }) => {
          const format = sniffImageType(head);
          if (!format) {
            file.stream.resume(); // drain, so the rest of the multipart body keeps flowing to the error path
            throw new ValidationError(
              `${JSON.stringify(file.originalname)} is not a JPEG, PNG, WebP, AVIF, GIF or TIFF image`,
              { file: file.originalname },
              'unsupported_file_type',
            );
          }
          const imageId = randomUUID();
          const key = `${keyPrefix(req)}${imageId}.${extensionOf(format)}`;
          const body = new PassThrough();
          if (ended) body.end(head);
          else {
            body.write(head);
            file.stream.pipe(body);
          }
          const { bytes } = await store.put(key, body, { contentType: file.mimetype || 'application/octet-stream' });
          // multer ends the file stream early when the size limit is hit; it then reports LIMIT_FILE_SIZE and removes the file.
          return { imageId, key, format, size: bytes };
        })
        .then(
          (stored) => cb(null, { stored, size: stored.size }),
          (err: unknown) => cb(err as Error),
        );
    },
    _removeFile(_req, file, cb) {
      if (!file.stored) return cb(null);
      store.delete(file.stored.key).then(
        () => cb(null),
        (err: unknown) => cb(err as Error),
      );
    },
  };
}

/** Reads at least `n` bytes, or the whole stream if it is shorter (then `ended`); the caller sends them on first. */
function readHead(stream: Readable, n: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= n) done(false);
    };
    const onEnd = () => done(true);
    const done = (ended: boolean) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      if (!ended) stream.pause();
      resolve({ head: Buffer.concat(chunks), ended });
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}
