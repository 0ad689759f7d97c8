// What an operator would otherwise have to remember: outbox rows published long ago (one per image, chunk and
// webhook, kept a while for inspection) are deleted, originals and outputs past their retention are deleted (and their
// batches marked), soft-deleted batches whose retention has passed are purged
// with their stored objects, and so are the files of uploads a dead gateway abandoned and the browser sessions past
// their end (each is also removed when next presented; these never came back). Every gateway runs it on a
// timer, each at its own random offset; two replicas running it at once is harmless (deletes of what is already gone
// change nothing).
import type { Settings } from '@pixmill/config';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import { deleteExpiredSessions, sessionTimes } from '../auth/sessions';
import { expireObjects } from '../batches/retention/expire-objects';
import { removeAbandonedUploads } from '../batches/upload-intent';
import { cleanup, type CleanupDeps } from './queue-cleanup';

export type HousekeepingDeps = Omit<CleanupDeps, 'transport' | 'prisma'> & {
  prisma: CleanupDeps['prisma'] & Pick<PrismaClient, 'uploadIntent' | 'session' | '$queryRaw'>;
  store: CleanupDeps['store'];
  settings: Pick<
    Settings,
    | 'OUTBOX_RETENTION_DAYS'
    | 'HOUSEKEEPING_INTERVAL_MINUTES'
    | 'SESSION_TTL_SECONDS'
    | 'SESSION_IDLE_SECONDS'
    | 'ORIGINALS_RETENTION_DAYS'
    | 'OUTPUTS_RETENTION_DAYS'
  >;
  log: Logger;
};

/** One pass: what the admin cleanup does with the retention settings, dead letters left alone (they need a look). */
export async function runHousekeeping(d: HousekeepingDeps, now = new Date()) {
  const cleaned = await cleanup(
    { ...d, transport: { purgeDeadLetters: async () => 0 } },
    { deadLetters: [], publishedOlderThanDays: d.settings.OUTBOX_RETENTION_DAYS, purgeDeletedBatches: true },
    now,
  );
  const abandoned = await removeAbandonedUploads(d, now);
  if (abandoned.uploads > 0) d.log.info(abandoned, 'abandoned uploads removed');
  const sessions = await deleteExpiredSessions(d.prisma, sessionTimes(d.settings), now);
  const expired = await expireObjects(d, now);
  return {
    ...cleaned,
    ...expired,
    abandoned_uploads_removed: abandoned.uploads,
    abandoned_upload_objects_deleted: abandoned.objects,
    ended_sessions_deleted: sessions,
  };
}

/** Runs a pass every HOUSEKEEPING_INTERVAL_MINUTES (0: never); the first at a random point of the first interval. */
export function startHousekeeping(d: HousekeepingDeps, o: { intervalMs?: number } = {}): { stop(): Promise<void> } {
  const interval = o.intervalMs ?? d.settings.HOUSEKEEPING_INTERVAL_MINUTES * 60_000;
  if (interval <= 0) return { stop: async () => undefined };
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout;
  const pass = () => {
    running = runHousekeeping(d).catch((err: unknown) =>
      d.log.warn({ err }, 'housekeeping pass failed; next one retries'),
    );
    timer = setTimeout(pass, interval);
    timer.unref();
  };
  timer = setTimeout(pass, Math.random() * interval);
  timer.unref();
  return {
    async stop() {
      clearTimeout(timer);
      await running;
    },
  };
}
