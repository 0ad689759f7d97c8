// The in-process queue lives in memory: when the all-in-one process stops or dies, the jobs it held are gone while
// their outbox rows stay marked published, and the batches would wait forever. At start, before any worker runs,
// every unfinished batch gets its open work back: images a previous run had taken return to `pending`, and the
// jobs of all open work are written again (handlers drop a job whose work is already done, so repeats are harmless).
import { resetStuckImages } from '@pixmill/batch-state';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';

export async function recoverOpenWork(prisma: PrismaClient, log: Logger): Promise<{ batches: number; images: number }> {
  const open = await prisma.batch.findMany({
    where: { status: { in: ['queued', 'processing', 'paused'] }, deletedAt: null },
    select: { id: true },
  });
  const startedAt = new Date();
  let images = 0;
  for (const b of open) {
    // Everything taken before this start was taken by a run that is gone: no worker of this one runs yet.
    const r = await resetStuckImages(prisma, b.id, startedAt);
    images += r.enqueued.images;
  }
  if (open.length > 0) log.info({ batches: open.length, images }, 'unfinished batches queued again after a restart');
  return { batches: open.length, images };
}
