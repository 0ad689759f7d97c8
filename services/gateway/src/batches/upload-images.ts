// Runs multer over a multipart request whose files stream to storage, and maps multer's limit errors to 4xx answers.
import type { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { ObjectStore } from '@pixmill/storage';
import { PayloadTooLargeError, ValidationError } from '../errors';
import { imageUploadStorage, type StoredUpload } from './image-upload.storage';

export type UploadedImage = StoredUpload & { originalName: string; contentType: string };
export type ImageUpload = { files: UploadedImage[]; fields: Record<string, string> };

export type UploadLimits = { maxFileBytes: number; maxFiles: number };

/** Accepts image files under any of `fileFields`; every other part must be a short text field. */
export function receiveImages(
  req: Request,
  res: Response,
  o: { store: Pick<ObjectStore, 'put' | 'delete'>; keyPrefix: string; fileFields: string[]; limits: UploadLimits },
): Promise<ImageUpload> {
  const upload = multer({
    storage: imageUploadStorage(o.store, () => o.keyPrefix),
    limits: {
      fileSize: o.limits.maxFileBytes,
      files: o.limits.maxFiles,
      fields: 50,
      fieldSize: 256 * 1024,
      parts: o.limits.maxFiles + 50,
    },
  }).fields(o.fileFields.map((name) => ({ name, maxCount: o.limits.maxFiles })));
  return new Promise((resolve, reject) => {
    upload(req, res, (err: unknown) => {
      if (err) return reject(toHttpError(err, o.limits));
      const byField = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
      const files = o.fileFields
        .flatMap((f) => byField[f] ?? [])
        .map((f) => ({
          ...f.stored!,
          originalName: f.originalname,
          contentType: f.mimetype,
        }));
      resolve({ files, fields: { ...(req.body as Record<string, string>) } });
    });
  });
}

function toHttpError(err: unknown, limits: UploadLimits): unknown {
  if (!(err instanceof MulterError)) return err;
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return new PayloadTooLargeError(
        `${JSON.stringify(err.field ?? 'file')} is larger than the limit of ${limits.maxFileBytes} bytes`,
        {
          limit_bytes: limits.maxFileBytes,
        },
      );
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
