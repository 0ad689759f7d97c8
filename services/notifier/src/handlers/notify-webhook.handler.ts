import type { NotifyWebhookJob } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import { PermanentError } from '@pixmill/queue';

/** Placeholder until webhooks land (issue 5): the event is dead-lettered (kept), not dropped. */
export const makeNotifyWebhookHandler = (d: { prisma: Pick<PrismaClient, 'webhookDelivery'>; log: Logger }) => async (job: NotifyWebhookJob) => {
  d.log.warn({ batchId: job.batchId, event: job.event }, 'webhook delivery is not implemented yet');
  throw new PermanentError('webhook delivery is not implemented yet');
};
