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
  /**
   * Finished jobs (published outbox rows) of these kinds older than `olderThanHours`: counted, and deleted from the
   * database when `clean` is set (seed 002's job_types, max_age_hours, clean_database).
   */
  finishedJobs?: { kinds: JobKind[]; olderThanHours: number; clean: boolean };
};

export type CleanupDeps = {
  prisma: Pick<PrismaClient, '$executeRaw' | '$queryRaw' | '$transaction' | 'batch'>;
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
  let finished: { matched: number; deleted: number } | undefined;
  if (r.finishedJobs) {
    const before = new Date(now.getTime() - r.finishedJobs.olderThanHours * 3_600_000);
    const kinds = r.finishedJobs.kinds;
    if (r.finishedJobs.clean) {
      const deleted = await d.prisma.$executeRaw`
        DELETE FROM outbox_messages
         WHERE published_at IS NOT NULL AND published_at < ${before} AND queue = ANY(${kinds}::text[])`;
      finished = { matched: deleted, deleted };
    } else {
      const [row] = await d.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM outbox_messages
         WHERE published_at IS NOT NULL AND published_at < ${before} AND queue = ANY(${kinds}::text[])`;
      finished = { matched: Number(row?.n ?? 0), deleted: 0 };
    }
  }
  const purged = r.purgeDeletedBatches ? await purgeExpiredBatches(d, now) : { batches: 0, objects: 0 };
  d.log.info({ deadLetters, publishedJobs, finished, purged }, 'admin cleanup');
  return {
    ...(r.finishedJobs && finished
      ? {
          job_types: r.finishedJobs.kinds,
          max_age_hours: r.finishedJobs.olderThanHours,
          clean_database: r.finishedJobs.clean,
          finished_jobs_matched: finished.matched,
          finished_jobs_deleted: finished.deleted,
        }
      : {}),
    dead_letters_purged: deadLetters,
    published_jobs_deleted: publishedJobs,
    deleted_batches_purged: purged.batches,
    objects_deleted: purged.objects,
  };
}
