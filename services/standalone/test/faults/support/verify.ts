// What every scenario proves of each batch once the dust settles, counted rather than asserted one by one so the
// figures can be reported: the batch ended, every image ended as it should (with a reason when it failed), the
// counters equal the images, storage holds exactly the recorded outputs, and one completion webhook arrived.
import type { FaultStack } from './fault-stack';

/** What the checks read: the fault suite's stack, or the scale suite's cluster of replicas. */
export type CheckedPipeline = Pick<FaultStack, 'prisma' | 's3' | 'receiver' | 'api' | 'procs'>;
import { VARIANTS, type SubmittedBatch } from './fault-batches';
import { listObjects } from './s3-listing';
import { verifyStandard } from '@pixmill/notifier/testing';
import { readData } from '@pixmill/gateway/testing';

export type BatchFigures = {
  name: string;
  kind: SubmittedBatch['kind'];
  batchId: string;
  status: string;
  images: number;
  succeeded: number;
  failed: number;
  /** Images missing, not final, or failed although they were good. */
  lost: number;
  /** Recorded outputs not in storage (or not of the recorded size), and variants not recorded. */
  missingOutputs: number;
  /** Objects under outputs/<batch>/ that no output row accounts for (a second copy, a leftover of a failed image). */
  duplicatedOutputs: number;
  /** Successful deliveries of the completion event seen by the receiver. */
  webhooksDelivered: number;
  duplicateWebhooks: number;
  problems: string[];
};

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export async function checkBatch(stack: CheckedPipeline, b: SubmittedBatch): Promise<BatchFigures> {
  const problems: string[] = [];
  const { prisma } = stack;
  const batch = await prisma.batch.findUniqueOrThrow({ where: { id: b.batchId } });
  const images = await prisma.image.findMany({ where: { batchId: b.batchId }, include: { outputs: true } });

  if (batch.status !== 'completed') problems.push(`batch is ${batch.status}, expected completed`);
  if (batch.totalImages !== b.total) problems.push(`total_images ${batch.totalImages}, submitted ${b.total}`);
  let lost = Math.max(0, b.total - images.length);
  if (images.length !== b.total) problems.push(`${images.length} image rows for ${b.total} submitted`);

  const succeeded = images.filter((i) => i.status === 'succeeded');
  const failed = images.filter((i) => i.status === 'failed');
  for (const img of images) {
    const key = (b.kind === 'upload' ? img.originalName : img.sourceUrl) ?? '';
    const shouldFail = b.expectFailed.has(key);
    if (img.status === 'failed' && !(img.errorCode && img.errorMessage))
      problems.push(`${key}: failed without a reason`);
    if (img.status !== 'succeeded' && img.status !== 'failed') {
      lost++;
      problems.push(`${key}: left ${img.status}`);
    } else if (shouldFail !== (img.status === 'failed')) {
      lost++;
      problems.push(`${key}: ${img.status}${img.errorCode ? ` (${img.errorCode}: ${img.errorMessage})` : ''}`);
    }
  }
  const counters = {
    processed: batch.processedImages,
    succeeded: batch.succeededImages,
    failed: batch.failedImages,
  };
  const truth = { processed: succeeded.length + failed.length, succeeded: succeeded.length, failed: failed.length };
  if (JSON.stringify(counters) !== JSON.stringify(truth))
    problems.push(`counters ${JSON.stringify(counters)} but images say ${JSON.stringify(truth)}`);

  // Storage against the output rows: exactly the recipe's variants of each succeeded image, nothing else.
  const stored = await listObjects(stack.s3, `outputs/${b.batchId}/`);
  const recorded = new Set<string>();
  let missingOutputs = 0;
  for (const img of images) {
    if (img.status !== 'succeeded') {
      if (img.outputs.length > 0) problems.push(`${img.id}: ${img.status} but has ${img.outputs.length} output rows`);
      continue;
    }
    const variants = img.outputs.map((o) => o.variant).sort();
    const wanted = [...VARIANTS].sort();
    const absent = wanted.filter((v) => !variants.includes(v));
    missingOutputs += absent.length;
    if (absent.length > 0 || variants.length !== wanted.length)
      problems.push(`${img.id}: output rows ${variants.join(',')} for variants ${wanted.join(',')}`);
    for (const o of img.outputs) {
      recorded.add(o.storageKey);
      const size = stored.get(o.storageKey);
      if (size === undefined) {
        missingOutputs++;
        problems.push(`${o.storageKey}: recorded but not in storage`);
      } else if (size !== o.bytes) {
        missingOutputs++;
        problems.push(`${o.storageKey}: ${size} bytes in storage, ${o.bytes} recorded`);
      }
    }
  }
  const extra = [...stored.keys()].filter((k) => !recorded.has(k));
  if (extra.length > 0) problems.push(`objects with no output row: ${extra.slice(0, 5).join(', ')}`);

  // The completion webhook, as a subscriber sees it: signed with the batch's secret, its counts the batch's.
  const received = stack.receiver
    .received(`/hooks/${b.name}`)
    .map((r) => ({ ...r, json: JSON.parse(r.body) as { type: string; data: Record<string, unknown> } }))
    .filter((r) => r.json.data.batch_id === b.batchId);
  const completions = received.filter((r) => r.json.type === 'batch.completed');
  for (const r of received) {
    if (!verifyStandard(b.webhookSecret, r.body, r.headers)) problems.push('a webhook with a bad signature');
    if (r.json.type !== 'batch.completed') problems.push(`a ${r.json.type} webhook`);
    const d = r.json.data;
    if (d.successful_count !== truth.succeeded || d.failed_count !== truth.failed)
      problems.push(
        `webhook counts ${d.successful_count}/${d.failed_count}, images ${truth.succeeded}/${truth.failed}`,
      );
  }
  if (completions.length !== 1) problems.push(`${completions.length} completion webhooks received`);
  const recordedOk = await prisma.webhookDelivery.count({ where: { batchId: b.batchId, status: 'succeeded' } });
  if (recordedOk !== 1) problems.push(`${recordedOk} successful deliveries recorded`);

  // And the API tells the client the same.
  const res = await stack.api(`/api/v1/batches/${b.batchId}`);
  const view = (await readData(res)) as Record<string, unknown>;
  if (
    view.status !== batch.status ||
    view.successful_count !== truth.succeeded ||
    view.failed_count !== truth.failed ||
    view.processed_images !== truth.processed
  )
    problems.push(`GET /batches/${b.batchId} says ${JSON.stringify(view)}`);

  return {
    name: b.name,
    kind: b.kind,
    batchId: b.batchId,
    status: batch.status,
    images: images.length,
    succeeded: succeeded.length,
    failed: failed.length,
    lost,
    missingOutputs,
    duplicatedOutputs: extra.length,
    webhooksDelivered: completions.length,
    duplicateWebhooks: Math.max(0, completions.length - 1),
    problems,
  };
}

/**
 * Waits until every batch is final, each has had a webhook, and the pipeline is quiet (no unpublished outbox rows
 * for a while), so a late duplicate would have shown up. Database errors while polling (a scenario may have stopped
 * it) are waited out.
 */
export async function waitForQuiet(
  stack: CheckedPipeline,
  batches: SubmittedBatch[],
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const ids = batches.map((b) => b.batchId);
  let endedAt: number | undefined;
  let quietSince: number | undefined;
  for (;;) {
    try {
      if (endedAt === undefined) {
        const rows = await stack.prisma.batch.findMany({ where: { id: { in: ids } }, select: { status: true } });
        if (rows.length === ids.length && rows.every((r) => FINAL.has(r.status))) endedAt = Date.now();
      } else {
        const hooked = batches.every((b) => stack.receiver.received(`/hooks/${b.name}`).length > 0);
        const unpublished = await stack.prisma.outboxMessage.count({ where: { publishedAt: null } });
        if (hooked && unpublished === 0) {
          quietSince ??= Date.now();
          if (Date.now() - quietSince >= 2_000) return endedAt;
        } else quietSince = undefined;
      }
    } catch {
      // the database is down or restarting
    }
    if (Date.now() > deadline) {
      const state = await stack.prisma.batch
        .findMany({ where: { id: { in: ids } }, select: { id: true, status: true, processedImages: true } })
        .catch((e: unknown) => String(e));
      const tails = [...stack.procs.values()].map((p) => `--- ${p.label} (alive: ${p.alive()})\n${p.tail(15)}`);
      throw new Error(
        `batches not quiet after ${timeoutMs} ms: ${JSON.stringify(state)}; webhooks: ${batches
          .map((b) => stack.receiver.received(`/hooks/${b.name}`).length)
          .join(',')}\n${tails.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Seconds from `since` (ms since epoch) to the first image of these batches that ended after it, read from the
 * images' own `processed_at` (every service runs on this machine's clock): how long work took to flow again after
 * a fault ended. Null when no image ended after it.
 */
export async function firstImageEndedAfter(
  stack: Pick<FaultStack, 'prisma'>,
  batchIds: string[],
  since: number,
): Promise<number | null> {
  const first = await stack.prisma.image.findFirst({
    where: { batchId: { in: batchIds }, processedAt: { gt: new Date(since) } },
    orderBy: { processedAt: 'asc' },
    select: { processedAt: true },
  });
  return first?.processedAt ? Math.round((first.processedAt.getTime() - since) / 100) / 10 : null;
}
