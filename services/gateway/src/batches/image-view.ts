import { z } from 'zod';
import { IMAGE_STATUSES } from '@pixmill/batch-state';
import type { Image, Output } from '@pixmill/db';
import type { ObjectStore } from '@pixmill/storage';

export const OutputView = z.object({
  variant: z.string(),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  download_url: z.string().describe('Signed, expiring download URL'),
});

export const ImageView = z.object({
  id: z.uuid(),
  original_name: z.string().nullable(),
  source_url: z.string().nullable(),
  row_number: z.number().int().nullable(),
  status: z.enum(IMAGE_STATUSES),
  error: z.object({ code: z.string(), message: z.string().nullable() }).nullable(),
  created_at: z.iso.datetime(),
  processed_at: z.iso.datetime().nullable(),
  original_url: z.string().nullable().describe('Signed download URL of the input as stored'),
  analysis_status: z.enum(['pending', 'done']).nullable(),
  analysis: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('What the analyses found; null when none was asked for'),
  outputs: z.array(OutputView),
});

/** An image as the API shows it, with a fresh signed download URL for each output. */
export async function imageView(
  img: Image & { outputs: Output[] },
  store: Pick<ObjectStore, 'signedDownloadUrl'>,
  ttlSeconds: number,
) {
  const base = (img.originalName ?? img.sourceUrl?.split('/').pop() ?? img.id).replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return {
    id: img.id,
    original_name: img.originalName,
    source_url: img.sourceUrl,
    row_number: img.rowNumber,
    status: img.status,
    error: img.errorCode ? { code: img.errorCode, message: img.errorMessage } : null,
    created_at: img.createdAt.toISOString(),
    processed_at: img.processedAt?.toISOString() ?? null,
    // The input as stored (an uploaded file, or what a URL answered), for comparing it with its outputs.
    original_url: img.originalKey
      ? await store.signedDownloadUrl(img.originalKey, {
          expiresInSeconds: ttlSeconds,
          filename: img.originalName ?? `${base}-original`,
        })
      : null,
    // What the batch's analyses found (null when it asked for none); `pending` while the slow ones run.
    analysis_status: img.analysisStatus,
    analysis: img.analysis ?? null,
    outputs: await Promise.all(
      img.outputs
        .sort((a, b) => a.variant.localeCompare(b.variant))
        .map(async (o) => ({
          variant: o.variant,
          format: o.format,
          width: o.width,
          height: o.height,
          bytes: o.bytes,
          download_url: await store.signedDownloadUrl(o.storageKey, {
            expiresInSeconds: ttlSeconds,
            filename: `${base}-${o.variant}.${o.storageKey.split('.').pop()}`,
          }),
        })),
    ),
  };
}
