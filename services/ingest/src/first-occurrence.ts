// Images whose URL first occurs elsewhere in the batch take that occurrence's original (or its failure) instead of
// fetching the URL again.
import { failChunkImages } from '@pixmill/batch-state';
import { asFailureCode } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { ChunkRun } from './chunk-run';
import { findImageAt } from './chunk-reads';
import type { UrlGroup } from './url-groups';

type Db = Pick<PrismaClient, 'image' | 'chunk' | '$queryRaw'>;

const POLL_MS = 250;

/**
 * Gives the images the original of the URL's first occurrence: `done` when it had one (or failed fetching, and so
 * do these), `wait` while it is still being fetched or its chunk has not created it yet, `fetch` when the image
 * there has another URL (the gateway finds repeats by a hash of the URL, and hashes can collide).
 */
export async function takeFromFirstOccurrence(
  prisma: Db,
  run: ChunkRun,
  g: UrlGroup,
): Promise<'done' | 'wait' | 'fetch'> {
  const [row, urlIndex] = g.firstOccurrence!;
  const first = await findImageAt(prisma, run.batchId, row, urlIndex);
  const ids = g.images.map((i) => i.id);
  if (first && first.sourceUrl !== g.url) return 'fetch';
  if (first?.originalKey) {
    await run.recorder.record(ids, {
      originalKey: first.originalKey,
      contentType: first.contentType,
      bytes: first.bytes,
    });
    return 'done';
  }
  if (first?.status === 'failed') {
    const code = asFailureCode(first.errorCode) ?? 'fetch_failed';
    const message = first.errorMessage ?? 'the same URL failed earlier in this batch';
    await failChunkImages(prisma, run, ids, code, message);
    return 'done';
  }
  if (first?.status === 'cancelled') return 'done';
  return 'wait';
}

/**
 * Waits up to `waitMs` for the first occurrences another chunk is fetching right now; answers the groups to fetch
 * here: those whose first occurrence has another URL, and those whose first occurrence never landed.
 */
export async function awaitFirstOccurrences(
  prisma: Db,
  run: ChunkRun,
  waiting: UrlGroup[],
  o: { waitMs: number; sleep: (ms: number) => Promise<void> },
): Promise<UrlGroup[]> {
  const deadline = Date.now() + o.waitMs;
  let pending = waiting;
  const fetchHere: UrlGroup[] = [];
  while (pending.length > 0 && Date.now() < deadline && (await run.running())) {
    await o.sleep(POLL_MS);
    const still: UrlGroup[] = [];
    for (const g of pending) {
      const r = await takeFromFirstOccurrence(prisma, run, g);
      if (r === 'wait') still.push(g);
      if (r === 'fetch') fetchHere.push(g);
    }
    pending = still;
  }
  if (pending.length > 0)
    run.log.warn(
      { urls: pending.length },
      'the first occurrence of some URLs never got an original; fetching them here',
    );
  return [...pending, ...fetchHere];
}
