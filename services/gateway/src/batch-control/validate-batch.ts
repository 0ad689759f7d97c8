// Checks made before a batch starts (`start`, and `force-start` unless `skip_validation`): a start that can only
// fail every image is refused with the reasons, instead of running and failing.
import type { Batch, PrismaClient } from '@pixmill/db';
import { parseRecipe } from '@pixmill/imaging';
import type { ObjectStore } from '@pixmill/storage';
import { HttpError } from '../errors';

export class BatchValidationError extends HttpError {
  readonly status = 422;
  readonly code = 'batch_validation_failed';
}

/** Originals looked up in storage: enough to catch a lost prefix without a HEAD for each of 100,000 images. */
const SAMPLE = 20;

export async function batchProblems(
  prisma: Pick<PrismaClient, 'image' | 'chunk'>,
  store: Pick<ObjectStore, 'head'>,
  batch: Batch,
): Promise<string[]> {
  const problems: string[] = [];
  try {
    parseRecipe(batch.recipe);
  } catch (err) {
    problems.push(`the recipe is invalid: ${(err as Error).message}`);
  }
  if (batch.totalImages === 0) problems.push('the batch has no images');

  if (batch.sourceKind === 'upload') {
    const missing = await prisma.image.count({
      where: { batchId: batch.id, status: 'pending', originalKey: null },
    });
    if (missing > 0) problems.push(`${missing} image(s) have no stored original`);
    const sample = await prisma.image.findMany({
      where: { batchId: batch.id, status: 'pending', originalKey: { not: null } },
      select: { originalKey: true },
      take: SAMPLE,
    });
    const gone = (await Promise.all(sample.map((i) => store.head(i.originalKey!)))).filter((h) => h === null).length;
    if (gone > 0) problems.push(`${gone} of ${sample.length} sampled originals are missing from storage`);
  } else {
    const chunks = await prisma.chunk.count({ where: { batchId: batch.id } });
    if (chunks === 0 && batch.totalImages > 0) problems.push('the URL batch has no chunks to ingest');
  }
  return problems;
}

export async function assertStartable(
  prisma: Pick<PrismaClient, 'image' | 'chunk'>,
  store: Pick<ObjectStore, 'head'>,
  batch: Batch,
): Promise<void> {
  const problems = await batchProblems(prisma, store, batch);
  if (problems.length > 0) {
    throw new BatchValidationError('the batch cannot start: ' + problems.join('; '), {
      problems,
      hint: 'POST /force-start with {"skip_validation": true} starts it anyway',
    });
  }
}
