// Watches the pipeline's progress (images processed, originals fetched, webhooks delivered) a few times a second,
// so a scenario can say how long work took to flow again after its fault ended: its recovery time.
import type { PrismaClient } from '@pixmill/db';

export type ProgressProbe = {
  /** Seconds from `faultEndedAt` (ms since epoch) to the first progress seen after it; null if none was. */
  recoveredAfter(faultEndedAt: number): number | null;
  stop(): Promise<void>;
};

const EVERY_MS = 100;

export function startProgressProbe(prisma: PrismaClient, batchIds: () => string[]): ProgressProbe {
  const samples: { at: number; value: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const ids = batchIds();
      if (ids.length > 0) {
        try {
          const [row] = await prisma.$queryRaw<{ value: bigint }[]>`
            SELECT (SELECT COALESCE(sum(processed_images), 0) FROM batches WHERE id::text = ANY(${ids}))
                 + (SELECT count(*) FROM images WHERE batch_id::text = ANY(${ids}) AND original_key IS NOT NULL)
                 + (SELECT count(*) FROM webhook_deliveries WHERE batch_id::text = ANY(${ids}) AND status = 'succeeded')
                 AS value`;
          samples.push({ at: Date.now(), value: Number(row?.value ?? 0) });
        } catch {
          // the database is down: no sample
        }
      }
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  })();
  return {
    recoveredAfter(faultEndedAt) {
      const before = samples.filter((s) => s.at <= faultEndedAt).at(-1)?.value ?? 0;
      const next = samples.find((s) => s.at > faultEndedAt && s.value > before);
      return next ? Math.round((next.at - faultEndedAt) / 100) / 10 : null;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
