// A batch's outputs as one streamed ZIP. Entries are read from storage one at a time and the next is opened only when
// the archive has taken the previous one, and the archive is piped to the client, so the gateway holds about one
// entry's buffers whatever the number of outputs, and reads storage only as fast as the client reads the ZIP.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import archiver from 'archiver';
import type { PrismaClient } from '@pixmill/db';
import { ObjectNotFoundError, type ObjectStore } from '@pixmill/storage';
import { imageBaseName, outputExtension, UniqueNames } from './entry-names';

const PAGE = 200;
/** Formats that are compressed already: deflating them again costs CPU and saves nothing. */
const STORED_FORMATS = new Set(['jpeg', 'jpg', 'png', 'webp', 'avif', 'heif', 'gif']);
/** Lists the outputs the ZIP could not include (an object gone from storage), so none is missing silently. */
export const MISSING_ENTRY = 'pixmill-missing.txt';

export type OutputsZipDb = Pick<PrismaClient, 'image'>;

export type ZipOutcome = { entries: number; missing: string[] };

export type ZipImage = {
  id: string;
  originalName: string | null;
  sourceUrl: string | null;
  outputs: { variant: string; storageKey: string; format: string }[];
};

/** The outputs of a batch, page by page in a stable order (so names de-duplicate the same way every time). */
export async function* outputsOf(prisma: OutputsZipDb, batchId: string, variant: string | undefined) {
  let after: string | undefined;
  for (;;) {
    const page = await prisma.image.findMany({
      where: {
        batchId,
        outputs: { some: variant ? { variant } : {} },
        ...(after ? { id: { gt: after } } : {}),
      },
      select: {
        id: true,
        originalName: true,
        sourceUrl: true,
        outputs: {
          where: variant ? { variant } : {},
          select: { variant: true, storageKey: true, format: true },
          orderBy: { variant: 'asc' },
        },
      },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

/** Writes the ZIP into `dest` (ends it); rejects when `dest` goes away or storage fails other than by a missing object. */
export async function writeOutputsZip(
  images: AsyncIterable<ZipImage>,
  store: Pick<ObjectStore, 'get'>,
  dest: Writable,
): Promise<ZipOutcome> {
  const zip = archiver('zip', { zlib: { level: 6 }, highWaterMark: 64 * 1024 });
  const names = new UniqueNames();
  const outcome: ZipOutcome = { entries: 0, missing: [] };
  const done = new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    dest.on('error', reject);
    dest.on('finish', resolve);
    dest.on('close', () => (dest.writableFinished ? resolve() : reject(new Error('the client went away'))));
  });
  // Don't let a rejection that arrives while we await storage go unhandled; it is awaited below.
  done.catch(() => undefined);
  zip.pipe(dest);
  try {
    for await (const img of images) {
      const folder = names.claim(imageBaseName(img));
      for (const out of img.outputs) {
        const name = `${folder}/${out.variant}.${outputExtension(out)}`;
        let body;
        try {
          body = await store.get(out.storageKey);
        } catch (err) {
          if (!(err instanceof ObjectNotFoundError)) throw err;
          outcome.missing.push(name);
          continue;
        }
        const taken = once(zip, 'entry');
        zip.append(body, { name, store: STORED_FORMATS.has(out.format.toLowerCase()) });
        await Promise.race([taken, done]);
        outcome.entries++;
      }
    }
    if (outcome.missing.length > 0) {
      zip.append(`These outputs were not in storage:\n${outcome.missing.join('\n')}\n`, { name: MISSING_ENTRY });
    }
    await zip.finalize();
    await done;
  } catch (err) {
    zip.abort();
    dest.destroy();
    throw err;
  }
  return outcome;
}
