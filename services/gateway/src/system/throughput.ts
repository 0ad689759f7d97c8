// Images finished a minute over a recent window, from the images' own processed_at (indexed): what the system status
// page charts. No metrics store needed; the caller's images only, an admin's: everyone's.
import { Prisma, type PrismaClient } from '@pixmill/db';

export type ThroughputBucket = { start: string; succeeded: number; failed: number };

export async function throughput(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  o: { minutes: number; ownerId?: string; now?: Date },
): Promise<{
  minutes: number;
  buckets: ThroughputBucket[];
  totals: { succeeded: number; failed: number; failure_rate: number | null };
}> {
  const now = o.now ?? new Date();
  const firstMinute = Math.floor(now.getTime() / 60_000) - (o.minutes - 1);
  const since = new Date(firstMinute * 60_000);
  const owner = o.ownerId
    ? Prisma.sql`JOIN batches b ON b.id = i.batch_id AND b.owner_id = ${o.ownerId}::uuid`
    : Prisma.empty;
  const rows = await prisma.$queryRaw<{ minute: Date; succeeded: bigint; failed: bigint }[]>`
    SELECT date_trunc('minute', i.processed_at) AS minute,
           count(*) FILTER (WHERE i.status = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE i.status = 'failed') AS failed
      FROM images i ${owner}
     WHERE i.processed_at >= ${since}
     GROUP BY 1`;
  const byMinute = new Map(rows.map((r) => [Math.floor(r.minute.getTime() / 60_000), r]));
  const buckets: ThroughputBucket[] = [];
  for (let m = firstMinute; m < firstMinute + o.minutes; m++) {
    const r = byMinute.get(m);
    buckets.push({
      start: new Date(m * 60_000).toISOString(),
      succeeded: Number(r?.succeeded ?? 0),
      failed: Number(r?.failed ?? 0),
    });
  }
  const succeeded = buckets.reduce((n, b) => n + b.succeeded, 0);
  const failed = buckets.reduce((n, b) => n + b.failed, 0);
  const done = succeeded + failed;
  return {
    minutes: o.minutes,
    buckets,
    totals: { succeeded, failed, failure_rate: done ? Math.round((failed / done) * 10000) / 100 : null },
  };
}
