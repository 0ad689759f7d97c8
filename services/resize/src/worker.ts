import { pipelineMetrics } from '@pixmill/observability';
import type { Clients } from '@pixmill/runtime';
import { makeResizeImageHandler } from './handlers/resize-image.handler';

export async function startResizeWorker(c: Clients): Promise<{ stop(): Promise<void> }> {
  const handler = makeResizeImageHandler({
    prisma: c.prisma,
    store: c.store,
    log: c.log,
    settings: c.settings,
    metrics: pipelineMetrics(c.registry),
  });
  const consumer = await c.transport.consume('resize.image', handler, { prefetch: c.settings.RESIZE_CONCURRENCY });
  return { stop: () => consumer.cancel() };
}
