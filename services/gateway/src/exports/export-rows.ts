// The rows of an export: one per image and output variant (an image without outputs gives one row), read from the
// database a page at a time in input order, so an export of 100,000 images never holds more than a page.
import type { Batch, Image, ImageStatus, Output, Prisma, PrismaClient } from '@pixmill/db';
import { AnalysisResult } from '@pixmill/contracts';
import type { ObjectStore } from '@pixmill/storage';

export type ExportFilters = {
  /** Only these image statuses (success_only → succeeded, failed_only → failed). */
  statuses?: ImageStatus[];
  /** Images that finished at or after / before (processed_at). */
  startDate?: Date;
  endDate?: Date;
  /** Add the metadata columns (input row, content type and hash, attempts...). */
  metadata: boolean;
  /** Add the analysis columns (seed 002's names: text_content, business_contact, ...). */
  analysis?: boolean;
  /** Only images with a business contact / a store name found by their analyses. */
  hasContact?: boolean;
  hasStoreName?: boolean;
};

export type Cell = string | number | null;
export type ExportRow = Record<string, Cell>;

export const BASE_COLUMNS = [
  'batch_id',
  'image_id',
  'row_number',
  'url_index',
  'source',
  'status',
  'error_code',
  'error_message',
  'variant',
  'format',
  'width',
  'height',
  'bytes',
  'output_url',
  'created_at',
  'started_at',
  'processed_at',
  'processing_ms',
] as const;
export const METADATA_COLUMNS = [
  'batch_name',
  'original_name',
  'source_url',
  'content_type',
  'original_bytes',
  'content_hash',
  'attempts',
  'source_row',
] as const;

/** Seed 002's URLAnalysisResult fields, and pixmill's own analyses beside them. */
export const ANALYSIS_COLUMNS = [
  'store_image',
  'store_name',
  'text_content',
  'business_contact',
  'image_description',
  'processing_time_seconds',
  'cache_hit',
  'faces',
  'blurry',
  'phash',
  'placeholder',
  'dominant_colour',
  'analysis_result',
] as const;

export const exportColumns = (metadata: boolean, analysis = false): string[] => [
  ...BASE_COLUMNS,
  ...(metadata ? METADATA_COLUMNS : []),
  ...(analysis ? ANALYSIS_COLUMNS : []),
];

export type RowSource = {
  prisma: Pick<PrismaClient, 'image' | 'output'>;
  store: Pick<ObjectStore, 'signedDownloadUrl'>;
  /** Lifetime of the signed output URLs in the export. */
  urlTtlSeconds: number;
};

const PAGE = 500;

export function imageWhere(batchId: string, f: ExportFilters): Prisma.ImageWhereInput {
  return {
    batchId,
    ...(f.statuses ? { status: { in: f.statuses } } : {}),
    ...(f.hasContact ? { hasContact: true } : {}),
    ...(f.hasStoreName ? { hasStoreName: true } : {}),
    ...(f.startDate || f.endDate
      ? {
          processedAt: {
            ...(f.startDate ? { gte: f.startDate } : {}),
            ...(f.endDate ? { lte: f.endDate } : {}),
          },
        }
      : {}),
  };
}

type ImageWithOutputs = Image & { outputs: Output[] };

/**
 * The batch's images in input order (row number, URL index, id), by keyset pages: every page is an index range
 * scan, however deep into the batch. Images without a row number come last, by id.
 */
export async function* batchImages(
  prisma: Pick<PrismaClient, 'image'>,
  batchId: string,
  f: ExportFilters,
): AsyncGenerator<ImageWithOutputs> {
  const base = imageWhere(batchId, f);
  let after: { rowNumber: number; urlIndex: number; id: string } | undefined;
  for (;;) {
    const page = await prisma.image.findMany({
      where: {
        AND: [
          base,
          { rowNumber: { not: null } },
          after
            ? {
                // The `gte` repeats what the OR implies: PostgreSQL starts the index scan there instead of at the
                // batch's first row and filtering its way to the page (a 100,000-image batch: 0.3 ms, not 20 ms).
                rowNumber: { gte: after.rowNumber },
                OR: [
                  { rowNumber: { gt: after.rowNumber } },
                  { rowNumber: after.rowNumber, urlIndex: { gt: after.urlIndex } },
                  { rowNumber: after.rowNumber, urlIndex: after.urlIndex, id: { gt: after.id } },
                ],
              }
            : {},
        ],
      },
      include: { outputs: { orderBy: { variant: 'asc' } } },
      orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }, { id: 'asc' }],
      take: PAGE,
    });
    yield* page;
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { rowNumber: last.rowNumber!, urlIndex: last.urlIndex, id: last.id };
  }
  let afterId: string | undefined;
  for (;;) {
    const page = await prisma.image.findMany({
      where: { AND: [base, { rowNumber: null }, afterId ? { id: { gt: afterId } } : {}] },
      include: { outputs: { orderBy: { variant: 'asc' } } },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    yield* page;
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The analysis cells of one image (null where an analysis was not asked for or found nothing to say). */
export function analysisCells(stored: unknown): ExportRow {
  const parsed = AnalysisResult.safeParse(stored ?? {});
  const a = parsed.success ? parsed.data : {};
  const c = a.text?.business_contact;
  // Seed 002's one-string form of the contacts.
  const contact = c ? [...c.emails, ...c.phones, ...c.urls].join('; ') : null;
  const ms = Object.values(a.timings_ms ?? {}).reduce((s, v) => s + v, 0);
  return {
    store_image:
      a.describe?.store_image === undefined || a.describe.store_image === null ? null : String(a.describe.store_image),
    store_name: a.describe?.store_name ?? null,
    text_content: a.text?.text_content ?? a.describe?.text ?? null,
    business_contact: contact || null,
    image_description: a.describe?.image_description ?? null,
    processing_time_seconds: stored ? Math.round(ms) / 1000 : null,
    cache_hit: a.describe ? String(a.describe.cache_hit) : null,
    faces: a.faces?.count ?? null,
    blurry: a.quality ? String(a.quality.blurry) : null,
    phash: a.phash ?? null,
    placeholder: a.placeholder?.thumbhash ?? null,
    dominant_colour: a.colours?.palette[0]?.hex ?? null,
    analysis_result: stored ? JSON.stringify(stored) : null,
  };
}

export async function rowsOfImage(
  img: ImageWithOutputs,
  batch: Pick<Batch, 'id' | 'name'>,
  src: RowSource,
  metadata: boolean,
  analysis = false,
): Promise<ExportRow[]> {
  const common: ExportRow = {
    batch_id: batch.id,
    image_id: img.id,
    row_number: img.rowNumber,
    url_index: img.urlIndex,
    source: img.sourceUrl ?? img.originalName,
    status: img.status,
    error_code: img.errorCode,
    error_message: img.errorMessage,
  };
  const timing: ExportRow = {
    created_at: iso(img.createdAt),
    started_at: iso(img.startedAt),
    processed_at: iso(img.processedAt),
    processing_ms:
      img.startedAt && img.processedAt ? Math.max(0, img.processedAt.getTime() - img.startedAt.getTime()) : null,
  };
  const meta: ExportRow = metadata
    ? {
        batch_name: batch.name,
        original_name: img.originalName,
        source_url: img.sourceUrl,
        content_type: img.contentType,
        original_bytes: img.bytes,
        content_hash: img.contentHash,
        attempts: img.attempts,
        source_row: img.sourceRow === null ? null : JSON.stringify(img.sourceRow),
      }
    : {};
  if (analysis) Object.assign(meta, analysisCells(img.analysis));
  if (img.outputs.length === 0) {
    return [
      {
        ...common,
        variant: null,
        format: null,
        width: null,
        height: null,
        bytes: null,
        output_url: null,
        ...timing,
        ...meta,
      },
    ];
  }
  const base = (img.originalName ?? img.sourceUrl?.split('/').pop() ?? img.id).replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return Promise.all(
    img.outputs.map(async (o) => ({
      ...common,
      variant: o.variant,
      format: o.format,
      width: o.width,
      height: o.height,
      bytes: o.bytes,
      output_url: await src.store.signedDownloadUrl(o.storageKey, {
        expiresInSeconds: src.urlTtlSeconds,
        filename: `${base}-${o.variant}.${o.storageKey.split('.').pop()}`,
      }),
      ...timing,
      ...meta,
    })),
  );
}

/** Every row of one batch, in order, up to `limit` rows. */
export async function* batchRows(
  src: RowSource,
  batch: Pick<Batch, 'id' | 'name'>,
  f: ExportFilters,
  limit = Infinity,
): AsyncGenerator<ExportRow> {
  let n = 0;
  for await (const img of batchImages(src.prisma, batch.id, f)) {
    for (const row of await rowsOfImage(img, batch, src, f.metadata, f.analysis)) {
      if (n++ >= limit) return;
      yield row;
    }
  }
}
