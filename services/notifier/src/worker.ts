import type { Clients } from '@pixmill/runtime';
import { makeNotifyWebhookHandler } from './handlers/notify-webhook.handler';

export async function startNotifierWorker(c: Clients): Promise<{ stop(): Promise<void> }> {
  const handler = makeNotifyWebhookHandler({ prisma: c.prisma, log: c.log });
  const consumer = await c.transport.consume('notify.webhook', handler, { prefetch: 8 });
  return { stop: () => consumer.cancel() };
}
