// A batch's `webhook_status` from its delivery log: what happened to the latest event it sent (or should send).
import type { Batch, PrismaClient } from '@pixmill/db';

export type WebhookStatus = 'not_sent' | 'pending' | 'sent' | 'failed';

type Latest = { batch_id: string; status: string; next_attempt_at: Date | null; delivered: boolean };

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** `webhook_status` of many batches in one query (list pages), keyed by batch id. */
export async function webhookStatuses(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batches: Pick<Batch, 'id' | 'status' | 'webhookUrl' | 'webhookDisabled'>[],
): Promise<Map<string, WebhookStatus>> {
  const ids = batches.filter((b) => b.webhookUrl).map((b) => b.id);
  const latest = new Map<string, Latest>();
  if (ids.length > 0) {
    // The newest attempt per batch, and whether its event ever reached the receiver.
    const rows = await prisma.$queryRaw<Latest[]>`
      SELECT DISTINCT ON (d.batch_id) d.batch_id::text AS batch_id, d.status::text AS status, d.next_attempt_at,
             EXISTS (SELECT 1 FROM webhook_deliveries s WHERE s.event_id = d.event_id AND s.status = 'succeeded') AS delivered
        FROM webhook_deliveries d
       WHERE d.batch_id = ANY(${ids}::uuid[])
       ORDER BY d.batch_id, d.created_at DESC, d.attempt DESC`;
    for (const r of rows) latest.set(r.batch_id, r);
  }
  return new Map(batches.map((b) => [b.id, statusOf(b, latest.get(b.id))]));
}

export async function webhookStatusOf(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batch: Pick<Batch, 'id' | 'status' | 'webhookUrl' | 'webhookDisabled'>,
): Promise<WebhookStatus> {
  return (await webhookStatuses(prisma, [batch])).get(batch.id) ?? 'not_sent';
}

function statusOf(
  b: Pick<Batch, 'status' | 'webhookUrl' | 'webhookDisabled'>,
  latest: Latest | undefined,
): WebhookStatus {
  if (!b.webhookUrl) return 'not_sent';
  if (!latest) {
    // An ended batch's event is written with the end; until the notifier's first attempt it waits in the queue.
    return ENDED.has(b.status) && !b.webhookDisabled ? 'pending' : 'not_sent';
  }
  if (latest.status === 'succeeded') return 'sent';
  if (latest.status === 'pending' || (latest.status === 'failed' && latest.next_attempt_at !== null)) return 'pending';
  return latest.delivered ? 'sent' : 'failed';
}
