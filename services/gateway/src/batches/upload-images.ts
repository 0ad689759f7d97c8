// Runs multer over a multipart request whose files stream to storage, and maps multer's limit errors to 4xx answers.
// `receiveImages` takes image files only; `receiveBatchUpload` takes either images or one CSV of image URLs.
import { Transform } from 'node:stream';
import type { Request, Response } from 'express';
import multer, { MulterError, type StorageEngine } from 'multer';
import type { ObjectStore } from '@pixmill/storage';
import { PayloadTooLargeError, ValidationError } from '../errors';
import { imageUploadStorage, type StoredUpload } from './image-upload.storage';
import { receiveCsv, storeCsv, type CsvIntakeResult, type CsvSink } from './url-intake/receive-csv';
import type { IntakeLimits } from './url-intake/url-intake';

export type UploadedImage = StoredUpload & { originalName: string; contentType: string };
export type ImageUpload = { files: UploadedImage[]; fields: Record<string, string> };

export type UploadLimits = { maxFileBytes: number; maxFiles: number };

/** Accepts image files under any of `fileFields`; every other part must be a short text field. */
export function receiveImages(
  req: Request,
  res: Response,
  o: { store: Pick<ObjectStore, 'put' | 'delete'>; keyPrefix: string; fileFields: string[]; limits: UploadLimits },
): Promise<ImageUpload> {
  const images = imageUploadStorage(o.store, () => o.keyPrefix);
  let refuse: (err: unknown) => void = () => undefined;
  const engine: StorageEngine = {
    _handleFile: (r, file, cb) => limitedImage(images, o.limits.maxFileBytes, r, file, cb, refuse),
    _removeFile: (r, file, cb) => images._removeFile(r, file, cb),
  };
  const upload = multer({
    storage: engine,
    limits: {
      // One byte over, so the engine (which answers at once) sees an oversized file before multer does.
      fileSize: o.limits.maxFileBytes + 1,
      files: o.limits.maxFiles,
      fields: 50,
      fieldSize: 256 * 1024,
      parts: o.limits.maxFiles + 50,
    },
  }).fields(o.fileFields.map((name) => ({ name, maxCount: o.limits.maxFiles })));
  return new Promise((resolve, reject) => {
    refuse = (err) => reject(toHttpError(err, o.limits));
    upload(req, res, (err: unknown) => {
      if (err) return reject(toHttpError(err, o.limits));
      resolve({ files: imagesOf(req, o.fileFields), fields: { ...(req.body as Record<string, string>) } });
    });
  });
}

export type CsvUploadOptions = {
  /** Form fields a CSV may come in (`file`, `csvFile`). */
  fields: string[];
  batchId: string;
  maxBytes: number;
  limits: IntakeLimits;
  /** Where the CSV goes (default: storage, under its batch). */
  sink?: CsvSink;
};

export type BatchUpload = ImageUpload & { csv?: CsvIntakeResult & { originalName: string } };

/**
 * A batch upload: image files under `imageFields` (streamed to `keyPrefix`), or one CSV under `csv.fields`
 * (streamed to storage and parsed on the way, see url-intake/receive-csv.ts). Both kinds at once are refused.
 */
export function receiveBatchUpload(
  req: Request,
  res: Response,
  o: {
    store: Pick<ObjectStore, 'put' | 'delete'>;
    keyPrefix: string;
    imageFields: string[];
    limits: UploadLimits;
    csv: CsvUploadOptions;
  },
): Promise<BatchUpload> {
  const images = imageUploadStorage(o.store, () => o.keyPrefix);
  let refuse: (err: unknown) => void = () => undefined;
  let kind: 'images' | 'csv' | undefined;
  let csv: BatchUpload['csv'];
  const mixed = () =>
    new ValidationError('send either image files or one CSV file, not both', undefined, 'mixed_upload');

  const engine: StorageEngine = {
    _handleFile(r, file, cb) {
      const isCsv = o.csv.fields.includes(file.fieldname);
      if (kind && kind !== (isCsv ? 'csv' : 'images')) {
        file.stream.resume();
        return cb(mixed());
      }
      kind = isCsv ? 'csv' : 'images';
      if (!isCsv) return limitedImage(images, o.limits.maxFileBytes, r, file, cb, refuse);
      receiveCsv(file.stream, {
        sink: o.csv.sink ?? storeCsv(o.store),
        batchId: o.csv.batchId,
        maxBytes: o.csv.maxBytes,
        limits: o.csv.limits,
      }).then(
        (result) => {
          csv = { ...result, originalName: file.originalname };
          cb(null, { size: result.bytes });
        },
        (err: unknown) => {
          // The CSV is refused (too large, malformed...): answer now rather than after the rest of the upload.
          refuse(err);
          cb(err as Error);
        },
      );
    },
    _removeFile(r, file, cb) {
      // A CSV's objects all live under its batch's upload prefix, which the route removes on failure.
      if (o.csv.fields.includes(file.fieldname)) return cb(null);
      images._removeFile(r, file, cb);
    },
  };
  // multer's own cap is the larger of the two; each kind is held to its own limit by its engine.
  const upload = multer({
    storage: engine,
    limits: {
      fileSize: Math.max(o.limits.maxFileBytes, o.csv.maxBytes),
      files: o.limits.maxFiles,
      fields: 50,
      fieldSize: 256 * 1024,
      parts: o.limits.maxFiles + 50,
    },
  }).fields([
    ...o.imageFields.map((name) => ({ name, maxCount: o.limits.maxFiles })),
    ...o.csv.fields.map((name) => ({ name, maxCount: 1 })),
  ]);
  return new Promise((resolve, reject) => {
    refuse = (err) => reject(toHttpError(err, o.limits, o.csv));
    upload(req, res, (err: unknown) => {
      if (err) return reject(toHttpError(err, o.limits, o.csv));
      resolve({
        files: imagesOf(req, o.imageFields),
        fields: { ...(req.body as Record<string, string>) },
        ...(csv ? { csv } : {}),
      });
    });
  });
}

function imagesOf(req: Request, fields: string[]): UploadedImage[] {
  const byField = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
  return fields
    .flatMap((f) => byField[f] ?? [])
    .map((f) => ({ ...f.stored!, originalName: f.originalname, contentType: f.mimetype }));
}

/**
 * Holds one image to `maxBytes` although multer's cap is higher: the stream the image engine reads ends at the
 * limit (the rest of the part is read and dropped), and what was stored is removed again.
 *
 * `refuse` answers the request at once. multer reports an error only after reading the whole request (so clients
 * are not cut off mid-send), which for a 1 GB body refused at 25 MB meant taking in the whole gigabyte before the
 * 413; now the 413 goes out at the limit while multer drains the rest (bounded by Node's requestTimeout). What was
 * stored of the file is still removed here, after its upload settles, so the route's own cleanup can't miss it.
 */
function limitedImage(
  inner: StorageEngine,
  maxBytes: number,
  req: Request,
  file: Express.Multer.File,
  cb: (error?: Error | null, info?: Partial<Express.Multer.File>) => void,
  refuse: (err: unknown) => void,
): void {
  let bytes = 0;
  let over = false;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (over) return done();
      const room = maxBytes - bytes;
      bytes += chunk.length;
      if (bytes <= maxBytes) return done(null, chunk);
      // Up to the limit goes on (the engine still sees the file's head), then the stream ends.
      over = true;
      // Answered now, not once the truncated head is stored and removed: meanwhile the rest of the body (dropped
      // here) would arrive at full speed, and a client sending 1 GB would have sent it all before hearing no.
      refuse(new MulterError('LIMIT_FILE_SIZE', file.fieldname));
      if (room > 0) this.push(chunk.subarray(0, room));
      this.push(null);
      done();
    },
  });
  file.stream.pipe(meter);
  const limited = Object.create(file, { stream: { value: meter } }) as Express.Multer.File;
  inner._handleFile(req, limited, (err, info) => {
    if (err) return cb(err);
    if (!over) return cb(null, info);
    inner._removeFile(req, { ...file, ...info } as Express.Multer.File, () =>
      cb(new MulterError('LIMIT_FILE_SIZE', file.fieldname)),
    );
  });
}

/** What busboy (multer's parser) throws for a body that is not well-formed multipart: the client's fault, not ours. */
const MALFORMED_MULTIPART =
  /^(Unexpected end of (form|file)|Malformed part header|Multipart: Boundary not found|Malformed content type)$/;

function toHttpError(err: unknown, limits: UploadLimits, csv?: Pick<CsvUploadOptions, 'fields' | 'maxBytes'>): unknown {
  if (err instanceof Error && !(err instanceof MulterError) && MALFORMED_MULTIPART.test(err.message)) {
    return new ValidationError(
      `malformed upload: ${err.message}`,
      { reason: 'malformed_multipart' },
      'malformed_upload',
    );
  }
  if (!(err instanceof MulterError)) return err;
  switch (err.code) {
    case 'LIMIT_FILE_SIZE': {
      const limit = csv && err.field && csv.fields.includes(err.field) ? csv.maxBytes : limits.maxFileBytes;
      return new PayloadTooLargeError(
        `${JSON.stringify(err.field ?? 'file')} is larger than the limit of ${limit} bytes`,
        {
          limit_bytes: limit,
        },
      );
    }
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_PART_COUNT':
      return new PayloadTooLargeError(`too many files: at most ${limits.maxFiles} in one batch`, {
        limit_files: limits.maxFiles,
      });
    case 'LIMIT_UNEXPECTED_FILE':
      return new ValidationError(
        `unexpected file field ${JSON.stringify(err.field)}`,
        { field: err.field },
        'unexpected_field',
      );
    default:
      return new ValidationError(`malformed upload: ${err.message}`, { reason: err.code }, 'malformed_upload');
  }
}
