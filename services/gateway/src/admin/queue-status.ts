// Queue and pipeline state for operators: depth of each job queue, the outbox backlog, and images that have been
// taken by a worker for longer than a threshold (a worker that died holding them).
import { jobKinds, type JobKind } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Transport } from '@pixmill/queue';

export type QueueDepthView =
  { ready: number; unacked: number; consumers: number; dead_lettered: number; retrying: number } | { error: string };

export async function queueDepths(transport: Pick<Transport, 'depth'>): Promise<Record<JobKind, QueueDepthView>> {
  const entries = await Promise.all(
    jobKinds.map(async (kind): Promise<[JobKind, QueueDepthView]> => {
      try {
        const d = await transport.depth(kind);
        return [
          kind,
          {
            ready: d.ready,
            unacked: d.unacked,
            consumers: d.consumers,
            dead_lettered: d.deadLettered,
            retrying: d.retrying,
          },
        ];
      } catch (err) {
        // One unreachable queue must not hide the others (or the database's view of the pipeline).
        return [kind, { error: (err as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries) as Record<JobKind, QueueDepthView>;
}

export async function outboxBacklog(prisma: Pick<PrismaClient, '$queryRaw'>) {
  const [row] = await prisma.$queryRaw<
    { unpublished: bigint; failing: bigint; oldest: Date | null; published: bigint }[]
  >`
    SELECT count(*) FILTER (WHERE published_at IS NULL) AS unpublished,
           count(*) FILTER (WHERE published_at IS NULL AND attempts > 0) AS failing,
           min(created_at) FILTER (WHERE published_at IS NULL) AS oldest,
           count(*) FILTER (WHERE published_at IS NOT NULL) AS published
      FROM outbox_messages`;
  return {
    unpublished: Number(row?.unpublished ?? 0),
    failing: Number(row?.failing ?? 0),
    oldest_unpublished_at: row?.oldest?.toISOString() ?? null,
    published_kept: Number(row?.published ?? 0),
  };
}

export async function stuckImages(prisma: Pick<PrismaClient, '$queryRaw'>, before: Date, limit = 50) {
  const batches = await prisma.$queryRaw<{ batch_id: string; count: bigint; oldest: Date }[]>`
    SELECT batch_id::text AS batch_id, count(*) AS count, min(started_at) AS oldest
      FROM images
     WHERE status IN ('processing', 'fetching') AND started_at < ${before}
     GROUP BY batch_id ORDER BY min(started_at) LIMIT ${limit}`;
  return {
    count: batches.reduce((n, b) => n + Number(b.count), 0),
    batches: batches.map((b) => ({
      batch_id: b.batch_id,
      count: Number(b.count),
      oldest_started_at: b.oldest.toISOString(),
    })),
  };
}
