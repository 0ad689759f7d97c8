// Housekeeping's retention pass: for every ended batch whose originals or outputs are past their retention, the
// objects are deleted from storage and the batch marked (deleted first, marked after: a pass cut short between the
// two deletes again next time, which changes nothing, and then marks). Soft-deleted batches keep their own purge.
import { areaPrefix } from '@pixmill/contracts';
import { Prisma, type PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import type { ObjectStore } from '@pixmill/storage';
import type { Settings } from '@pixmill/config';
import type { RetentionKind } from './retention';

export type ExpireDeps = {
  prisma: Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;
  store: Pick<ObjectStore, 'deletePrefix'>;
  settings: Pick<Settings, 'ORIGINALS_RETENTION_DAYS' | 'OUTPUTS_RETENTION_DAYS'>;
  log: Logger;
};

/** Batches expired a pass, per kind: the next pass takes the rest. */
const BATCHES_PER_PASS = 500;

const COLUMNS = {
  originals: { key: 'originals_days', expiredAt: Prisma.raw('originals_expired_at') },
  outputs: { key: 'outputs_days', expiredAt: Prisma.raw('outputs_expired_at') },
} as const;

export async function expireObjects(d: ExpireDeps, now: Date) {
  const originals = await expireKind(d, 'originals', d.settings.ORIGINALS_RETENTION_DAYS ?? null, now);
  const outputs = await expireKind(d, 'outputs', d.settings.OUTPUTS_RETENTION_DAYS ?? null, now);
  return {
    originals_expired_batches: originals.batches,
    outputs_expired_batches: outputs.batches,
    expired_objects_deleted: originals.objects + outputs.objects,
  };
}

async function expireKind(d: ExpireDeps, kind: RetentionKind, settingDays: number | null, now: Date) {
  const c = COLUMNS[kind];
  // The batch's own days when its retention names the kind (a JSON null there: forever), else the setting.
  const due = await d.prisma.$queryRaw<{ id: string }[]>`
    SELECT id FROM batches
     WHERE completed_at IS NOT NULL AND deleted_at IS NULL AND ${c.expiredAt} IS NULL
       AND completed_at + make_interval(days => CASE WHEN retention ? ${c.key}
                                                     THEN (retention ->> ${c.key})::int
                                                     ELSE ${settingDays}::int END) <= ${now}
     ORDER BY completed_at
     LIMIT ${BATCHES_PER_PASS}`;
  let objects = 0;
  for (const { id } of due) {
    objects += await d.store.deletePrefix(areaPrefix(kind, id));
    await d.prisma
      .$executeRaw`UPDATE batches SET ${c.expiredAt} = ${now} WHERE id = ${id}::uuid AND ${c.expiredAt} IS NULL`;
  }
  if (due.length > 0) d.log.info({ kind, batches: due.length, objects }, 'retention: expired objects deleted');
  return { batches: due.length, objects };
}
