import type { Clients } from '@pixmill/runtime';
import { makeIngestChunkHandler } from './handlers/ingest-chunk.handler';

export async function startIngestWorker(c: Clients): Promise<{ stop(): Promise<void> }> {
  const handler = makeIngestChunkHandler({ prisma: c.prisma, log: c.log });
  const consumer = await c.transport.consume('ingest.chunk', handler, { prefetch: 1 });
  return { stop: () => consumer.cancel() };
}
