// One word for where a batch's webhook stands, for the short status route.
import type { Batch, PrismaClient } from '@pixmill/db';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** `not_configured`, `disabled`, `waiting` (batch still running), `pending`, `delivered`, `retrying` or `failed`. */
export async function webhookStatus(prisma: Pick<PrismaClient, 'webhookDelivery'>, b: Batch): Promise<string> {
  if (!b.webhookUrl) return 'not_configured';
  if (b.webhookDisabled) return 'disabled';
  const last = await prisma.webhookDelivery.findFirst({
    where: { batchId: b.id },
    orderBy: [{ createdAt: 'desc' }, { attempt: 'desc' }],
    select: { status: true, nextAttemptAt: true },
  });
  if (!last) return FINAL.has(b.status) ? 'pending' : 'waiting';
  switch (last.status) {
    case 'succeeded':
      return 'delivered';
    case 'failed':
      return last.nextAttemptAt ? 'retrying' : 'failed';
    default:
      return last.status;
  }
}
