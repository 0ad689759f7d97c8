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

/** The stuck images themselves, oldest first: each is a job a worker took and never finished. */
export async function stuckJobs(prisma: Pick<PrismaClient, '$queryRaw'>, before: Date, limit = 50) {
  const rows = await prisma.$queryRaw<{ id: string; batch_id: string; status: string; started_at: Date }[]>`
    SELECT id::text AS id, batch_id::text AS batch_id, status::text AS status, started_at
      FROM images
     WHERE status IN ('processing', 'fetching') AND started_at < ${before}
     ORDER BY started_at LIMIT ${limit}`;
  const now = Date.now();
  return rows.map((r) => ({
    job_id: r.id,
    // An image is fetched by its chunk's ingest job, then processed by its own resize job.
    job_type: (r.status === 'fetching' ? 'ingest.chunk' : 'resize.image') satisfies JobKind,
    batch_id: r.batch_id,
    image_id: r.id,
    status: r.status,
    started_at: r.started_at.toISOString(),
    stuck_minutes: Math.floor((now - r.started_at.getTime()) / 60_000),
  }));
}
