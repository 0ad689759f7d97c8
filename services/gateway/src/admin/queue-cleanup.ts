// Operator cleanup: drop dead letters, delete outbox rows published long ago (finished jobs kept for inspection),
// and purge soft-deleted batches whose retention has passed.
import { jobKinds, type JobKind } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { Transport } from '@pixmill/queue';
import type { ObjectStore } from '@pixmill/storage';
import { purgeExpiredBatches } from '../batch-control/delete-batch';

export type CleanupRequest = {
  deadLetters: JobKind[];
  publishedOlderThanDays?: number;
  purgeDeletedBatches: boolean;
};

export type CleanupDeps = {
  prisma: Pick<PrismaClient, '$executeRaw' | '$transaction' | 'batch'>;
  transport: Pick<Transport, 'purgeDeadLetters'>;
  store: Pick<ObjectStore, 'deletePrefix'>;
  log: Logger;
};

export async function cleanup(d: CleanupDeps, r: CleanupRequest, now = new Date()) {
  const deadLetters: Partial<Record<JobKind, number>> = {};
  for (const kind of r.deadLetters.filter((k) => jobKinds.includes(k))) {
    deadLetters[kind] = await d.transport.purgeDeadLetters(kind);
  }
  let publishedJobs = 0;
  if (r.publishedOlderThanDays !== undefined) {
    const before = new Date(now.getTime() - r.publishedOlderThanDays * 86_400_000);
    publishedJobs = await d.prisma.$executeRaw`
      DELETE FROM outbox_messages WHERE published_at IS NOT NULL AND published_at < ${before}`;
  }
  const purged = r.purgeDeletedBatches ? await purgeExpiredBatches(d, now) : { batches: 0, objects: 0 };
  d.log.info({ deadLetters, publishedJobs, purged }, 'admin cleanup');
  return {
    dead_letters_purged: deadLetters,
    published_jobs_deleted: publishedJobs,
    deleted_batches_purged: purged.batches,
    objects_deleted: purged.objects,
  };
}
