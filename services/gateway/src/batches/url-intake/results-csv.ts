// The results CSV of a batch: the input rows as they came (read back from the stored input.csv), each with
// `Output Image Urls` (signed download URLs of the first variant, in the order of the input URLs, empty where an
// image failed) and a status and error column. Streamed: rows and images are merged in row order, a page at a time.
import { once } from 'node:events';
import type { Response } from 'express';
import { stringify } from 'csv-stringify';
import { OPEN_IMAGE_STATUSES } from '@pixmill/batch-state';
import type { Batch, ImageStatus, PrismaClient } from '@pixmill/db';
import { contentDisposition, type ObjectStore } from '@pixmill/storage';
import { readCsv, readerFor } from './csv-records';
import { detectShape, normalizeHeader, urlSeparator, urlsOf, type CsvShape } from './csv-shape';

export type ResultsDeps = {
  prisma: Pick<PrismaClient, 'image'>;
  store: Pick<ObjectStore, 'get' | 'signedDownloadUrl'>;
  ttlSeconds: number;
};

type ResultImage = {
  rowNumber: number | null;
  urlIndex: number;
  status: ImageStatus;
  errorCode: string | null;
  errorMessage: string | null;
  originalName: string | null;
  outputs: { variant: string; storageKey: string }[];
  analysis?: unknown;
};

const PAGE = 1000;
const OPEN: ReadonlySet<ImageStatus> = new Set(OPEN_IMAGE_STATUSES);
const PRODUCT_HEAD = ['S. No.', 'Product Name', 'Input Image Urls', 'Output Image Urls'];
/** Input columns with these names are dropped: results write their own (re-uploading a results file works). */
const OURS = new Set(['outputimageurls', 'status', 'error']);

/** Seed 002's text columns, added to the results of batches that asked for the `text` analysis. */
const TEXT_HEAD = ['Text Content', 'Business Contact'];

/** Text and contacts of a row's images (several URLs in one cell: joined with " | ", as the errors are). */
function textCells(images: (ResultImage | undefined)[]): string[] {
  const texts: string[] = [];
  const contacts: string[] = [];
  for (const img of images) {
    const t = (
      img?.analysis as { text?: { text_content?: string; business_contact?: Record<string, string[]> } } | null
    )?.text;
    texts.push(t?.text_content ?? '');
    const c = t?.business_contact;
    contacts.push(c ? [...(c.emails ?? []), ...(c.phones ?? []), ...(c.urls ?? [])].join('; ') : '');
  }
  const join = (v: string[]) => safeCell(v.some(Boolean) ? v.join(' | ') : '');
  return [join(texts), join(contacts)];
}

export async function sendResultsCsv(res: Response, d: ResultsDeps, batch: Batch): Promise<void> {
  const variant = firstVariant(batch.recipe);
  const withText = Array.isArray(batch.analysis) && (batch.analysis as string[]).includes('text');
  const out = stringify();
  let closed = false;
  res.on('close', () => {
    closed = true;
    out.destroy();
  });
  res
    .status(200)
    .set('Content-Type', 'text/csv; charset=utf-8')
    .set('Content-Disposition', contentDisposition(`${batch.name?.trim() || batch.id}-results.csv`))
    .set('Cache-Control', 'no-store');
  out.pipe(res);
  const writeCells = async (cells: string[]) => {
    if (!out.write(cells)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
  };
  // The header line gets the text columns' names, every other line the row's images' text and contacts.
  const write: Write = (cells, images) =>
    writeCells(withText ? [...cells, ...(images ? textCells(images) : TEXT_HEAD)] : cells);
  const outputUrl = async (img: ResultImage | undefined): Promise<string> => {
    if (img?.status !== 'succeeded') return '';
    const o =
      img.outputs.find((x) => x.variant === variant) ??
      [...img.outputs].sort((a, b) => a.variant.localeCompare(b.variant))[0];
    if (!o) return '';
    return d.store.signedDownloadUrl(o.storageKey, {
      expiresInSeconds: d.ttlSeconds,
      filename: o.storageKey.split('/').slice(-2).join('-'),
    });
  };

  try {
    if (batch.sourceKey) await sendUrlBatchRows(d, batch, write, outputUrl, () => closed);
    else await sendUploadRows(d, batch, write, outputUrl, () => closed);
    out.end();
  } catch (err) {
    // Headers are gone: all that can be said now is that the body is incomplete.
    res.destroy(err as Error);
    throw err;
  }
}

type Write = (cells: string[], images?: (ResultImage | undefined)[]) => Promise<void>;
type OutputUrl = (img: ResultImage | undefined) => Promise<string>;

async function sendUrlBatchRows(
  d: ResultsDeps,
  batch: Batch,
  write: Write,
  outputUrl: OutputUrl,
  closed: () => boolean,
) {
  const images = imagesInRowOrder(d.prisma, batch.id);
  let next = await images.next();
  let shape: CsvShape | undefined;
  let layout: ((cells: string[], output: string, status: string, error: string) => string[]) | undefined;
  let headerLine: string[] = [];

  const source = await d.store.get(batch.sourceKey!);
  const rows = readCsv(readerFor(source), (header) => {
    shape = detectShape(header);
    ({ layout, headerLine } = makeLayout(header, shape));
  });
  let wroteHeader = false;
  try {
    await mergeRows();
  } finally {
    source.destroy();
  }
  if (!wroteHeader && headerLine.length) await write(headerLine);

  async function mergeRows() {
    for await (const { row, cells } of rows) {
      if (closed()) return;
      if (!wroteHeader) {
        await write(headerLine);
        wroteHeader = true;
      }
      const urls = urlsOf(shape!, cells);
      const mine = new Map<number, ResultImage>();
      while (!next.done && (next.value.rowNumber ?? 0) <= row) {
        if (next.value.rowNumber === row) mine.set(next.value.urlIndex, next.value);
        next = await images.next();
      }
      const found = urls.map((_, i) => mine.get(i));
      const outputs = await Promise.all(found.map(outputUrl));
      await write(
        layout!(cells, outputs.join(urlSeparator(shape!, cells)), rowStatus(urls.length, found), rowErrors(found)),
        found,
      );
    }
  }
}

/** Image batches have no input CSV: one row per uploaded file. */
async function sendUploadRows(d: ResultsDeps, batch: Batch, write: Write, outputUrl: OutputUrl, closed: () => boolean) {
  await write(['Image', 'Output Image Urls', 'Status', 'Error']);
  for await (const img of imagesInRowOrder(d.prisma, batch.id)) {
    if (closed()) return;
    await write([safeCell(img.originalName ?? ''), await outputUrl(img), rowStatus(1, [img]), rowErrors([img])], [img]);
  }
}

function makeLayout(header: string[], shape: CsvShape) {
  const keep = header.map((h, i) => i).filter((i) => !OURS.has(normalizeHeader(header[i]!)));
  if (shape.kind === 'product' && shape.serialColumn !== undefined && shape.nameColumn !== undefined) {
    const lead = [shape.serialColumn, shape.nameColumn, shape.urlColumn];
    const rest = keep.filter((i) => !lead.includes(i));
    return {
      headerLine: [...PRODUCT_HEAD, ...rest.map((i) => safeCell(header[i]!)), 'Status', 'Error'],
      layout: (cells: string[], output: string, status: string, error: string) => [
        ...lead.map((i) => safeCell(cells[i] ?? '')),
        output,
        ...rest.map((i) => safeCell(cells[i] ?? '')),
        status,
        error,
      ],
    };
  }
  return {
    headerLine: [...keep.map((i) => safeCell(header[i]!)), 'Output Image Urls', 'Status', 'Error'],
    layout: (cells: string[], output: string, status: string, error: string) => [
      ...keep.map((i) => safeCell(cells[i] ?? '')),
      output,
      status,
      error,
    ],
  };
}

/** `succeeded`, `failed`, `partial` (some of a row's URLs failed), `pending` (not done yet), or `no_url`. */
export function rowStatus(urlCount: number, images: (ResultImage | undefined)[]): string {
  if (urlCount === 0) return 'no_url';
  if (images.some((i) => !i || OPEN.has(i.status))) return 'pending';
  const ok = images.filter((i) => i!.status === 'succeeded').length;
  if (ok === images.length) return 'succeeded';
  return ok === 0 ? 'failed' : 'partial';
}

function rowErrors(images: (ResultImage | undefined)[]): string {
  const many = images.length > 1;
  return safeCell(
    images
      .map((img, i) => {
        if (!img || img.status === 'succeeded' || OPEN.has(img.status)) return undefined;
        const why =
          img.status === 'cancelled' ? 'cancelled' : `${img.errorCode ?? 'failed'}: ${img.errorMessage ?? ''}`.trim();
        return many ? `URL ${i + 1}: ${why}` : why;
      })
      .filter((e): e is string => e !== undefined)
      .join(' | '),
  );
}

/** The batch's images in input order, fetched a page at a time (keyset on the (batch, row, index) index). */
async function* imagesInRowOrder(prisma: ResultsDeps['prisma'], batchId: string): AsyncGenerator<ResultImage> {
  let after: { row: number; index: number } | undefined;
  for (;;) {
    const page = await prisma.image.findMany({
      where: {
        batchId,
        ...(after
          ? {
              // Implied by the OR, but it is what lets PostgreSQL start the index scan at the page instead of at
              // the batch's first row (each page would otherwise cost a scan of every row before it).
              rowNumber: { gte: after.row },
              OR: [{ rowNumber: { gt: after.row } }, { rowNumber: after.row, urlIndex: { gt: after.index } }],
            }
          : {}),
      },
      orderBy: [{ rowNumber: 'asc' }, { urlIndex: 'asc' }, { id: 'asc' }],
      take: PAGE,
      select: {
        rowNumber: true,
        urlIndex: true,
        status: true,
        errorCode: true,
        errorMessage: true,
        originalName: true,
        outputs: { select: { variant: true, storageKey: true } },
        analysis: true,
      },
    });
    yield* page;
    const last = page.at(-1);
    // Rows without a number (none in URL batches) sort last and end the walk.
    if (page.length < PAGE || !last || last.rowNumber === null) return;
    after = { row: last.rowNumber, index: last.urlIndex };
  }
}

function firstVariant(recipe: unknown): string | undefined {
  const variants = (recipe as { variants?: { name?: unknown }[] } | null)?.variants;
  const name = Array.isArray(variants) ? variants[0]?.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Spreadsheet formula injection: a cell starting with = + - @ (or tab/CR) would run as a formula when the file is
 * opened, so it gets a leading apostrophe. Plain numbers (`-5`, `+3.2`) are left alone.
 */
export function safeCell(value: string): string {
  if (!/^[=+\-@\t\r]/.test(value) || /^[+-]?\d+(\.\d+)?$/.test(value)) return value;
  return `'${value}`;
}
