import { pipelineMetrics } from '@pixmill/observability';
import type { Clients } from '@pixmill/runtime';
import { analysisEngines } from './analysis-engines';
import { makeAnalyzeImageHandler } from './handlers/analyze-image.handler';

export async function startAnalyzeWorker(c: Clients): Promise<{ stop(): Promise<void> }> {
  const engines = analysisEngines(c.settings);
  const handler = makeAnalyzeImageHandler({
    prisma: c.prisma,
    store: c.store,
    log: c.log,
    engines,
    settings: c.settings,
    metrics: pipelineMetrics(c.registry),
  });
  // One job waiting beside each one analysed: the next image's download overlaps this one's models.
  const consumer = await c.transport.consume('analyze.image', handler, {
    prefetch: c.settings.ANALYZE_CONCURRENCY + 1,
  });
  return {
    stop: async () => {
      await consumer.cancel();
      await engines.close();
    },
  };
}
