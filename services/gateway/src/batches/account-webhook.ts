// An account's default webhook endpoint (`/api/v1/me/webhook`), taken by every batch created without a webhook_url
// of its own.
import type { Prisma } from '@pixmill/db';

type WebhookOfBatch = { ownerId: string; webhookUrl?: string; webhookSecret?: string };

/**
 * The batch's own webhook, or else its owner's default. Copied onto the batch in the transaction that creates it,
 * so a batch keeps the endpoint it was created with (and shows it), whatever later happens to the default.
 */
export async function withAccountWebhook<B extends WebhookOfBatch>(
  tx: Pick<Prisma.TransactionClient, 'accountWebhook'>,
  b: B,
): Promise<B> {
  if (b.webhookUrl) return b;
  const fallback = await tx.accountWebhook.findUnique({ where: { userId: b.ownerId } });
  return fallback ? { ...b, webhookUrl: fallback.url, webhookSecret: fallback.secret } : b;
}
