import type { IngestChunkJob } from '@pixmill/contracts';
import type { PrismaClient } from '@pixmill/db';
import type { Logger } from '@pixmill/observability';
import { PermanentError } from '@pixmill/queue';

/** Placeholder until URL batches land (issue 4): a chunk job is refused to the dead-letter queue, never silently acked. */
export const makeIngestChunkHandler = (d: { prisma: Pick<PrismaClient, 'chunk'>; log: Logger }) => async (job: IngestChunkJob) => {
  d.log.warn({ batchId: job.batchId, chunkId: job.chunkId }, 'URL ingestion is not implemented yet');
  throw new PermanentError('URL ingestion is not implemented yet');
};
