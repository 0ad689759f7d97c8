import type { Batch, Image, Output } from '@pixmill/db';
import type { ObjectStore } from '@pixmill/storage';

/**
 * An image as the API shows it, with a fresh signed download URL for each output; none for what its batch's
 * retention deleted (`expired_at` says when).
 */
export async function imageView(
  img: Image & { outputs: Output[] },
  store: Pick<ObjectStore, 'signedDownloadUrl'>,
  ttlSeconds: number,
  expired: Partial<Pick<Batch, 'originalsExpiredAt' | 'outputsExpiredAt'>> = {},
) {
  const originalsGone = expired.originalsExpiredAt ?? null;
  const outputsGone = expired.outputsExpiredAt ?? null;
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
    original_url:
      img.originalKey && !originalsGone
        ? await store.signedDownloadUrl(img.originalKey, {
            expiresInSeconds: ttlSeconds,
            filename: img.originalName ?? `${base}-original`,
          })
        : null,
    // What the batch's analyses found (null when it asked for none); `pending` while the slow ones run.
    original_expired_at: originalsGone?.toISOString() ?? null,
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
          download_url: outputsGone
            ? null
            : await store.signedDownloadUrl(o.storageKey, {
                expiresInSeconds: ttlSeconds,
                filename: `${base}-${o.variant}.${o.storageKey.split('.').pop()}`,
              }),
          expired_at: outputsGone?.toISOString() ?? null,
        })),
    ),
  };
}
