import { FaceEngine } from '@pixmill/analysis/faces';
import { imageLifecycle } from '@pixmill/batch-state';
import { pipelineMetrics } from '@pixmill/observability';
import type { Clients } from '@pixmill/runtime';
import { makeResizeImageHandler } from './handlers/resize-image.handler';

export async function startResizeWorker(c: Clients): Promise<{ stop(): Promise<void> }> {
  let faces: FaceEngine | undefined;
  const handler = makeResizeImageHandler({
    faces: () => (faces ??= new FaceEngine()),
    images: imageLifecycle(c.prisma),
    store: c.store,
    log: c.log,
    settings: c.settings,
    metrics: pipelineMetrics(c.registry),
  });
  // More jobs in flight than sharp slots: with small images the time goes to I/O, which then overlaps.
  const consumer = await c.transport.consume('resize.image', handler, {
    prefetch: Math.max(c.settings.RESIZE_PREFETCH, c.settings.RESIZE_CONCURRENCY),
  });
  return {
    stop: async () => {
      await consumer.cancel();
      await faces?.close();
    },
  };
}
