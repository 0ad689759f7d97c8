// Seed 002's `queue_stats`: the pipeline's work items (one per image) counted by where they are. An image is the unit
// a client sees finish; queue messages come and go (a chunk job fans out into image jobs, a retry is a new message),
// so the database's image states are the count that adds up.
import type { ImageStatus, PrismaClient } from '@pixmill/db';

const BUCKET: Record<ImageStatus, 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'> = {
  pending: 'pending',
  fetching: 'processing',
  processing: 'processing',
  succeeded: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

export type JobStats = { pending: number; processing: number; completed: number; failed: number; cancelled: number };

/** Images by state: of `ownerId`'s batches, or everyone's. */
export async function jobStats(prisma: Pick<PrismaClient, 'image'>, ownerId?: string): Promise<JobStats> {
  const groups = await prisma.image.groupBy({
    by: ['status'],
    where: ownerId ? { batch: { ownerId } } : {},
    _count: { _all: true },
  });
  const stats: JobStats = { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const g of groups) stats[BUCKET[g.status]] += g._count._all;
  return stats;
}
