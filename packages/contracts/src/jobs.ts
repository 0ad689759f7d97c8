// Queue message contracts. Every consumer parses what it receives: a message may come from older code.
import { z } from 'zod';

export const IngestChunkJob = z.object({ v: z.literal(1), batchId: z.uuid(), chunkId: z.uuid() });
export const ResizeImageJob = z.object({ v: z.literal(1), batchId: z.uuid(), imageId: z.uuid() });
/** The slow analyses (faces, text, describe) of an image whose resize succeeded. */
export const AnalyzeImageJob = z.object({ v: z.literal(1), batchId: z.uuid(), imageId: z.uuid() });
export const WebhookEvent = z.enum(['batch.completed', 'batch.failed', 'batch.cancelled']);
export const NotifyWebhookJob = z.object({
  v: z.literal(1),
  batchId: z.uuid(),
  /** Stable for every attempt of one event: the Standard Webhooks `webhook-id`. */
  eventId: z.string().min(1).max(200),
  event: WebhookEvent,
  /** Set when this message is a scheduled retry of an earlier attempt. */
  attempt: z.number().int().min(1).default(1),
});

/** The job kinds and their message schemas; a handler registry must cover every key. */
export const jobSchemas = {
  'ingest.chunk': IngestChunkJob,
  'resize.image': ResizeImageJob,
  'analyze.image': AnalyzeImageJob,
  'notify.webhook': NotifyWebhookJob,
} as const;

export type JobKind = keyof typeof jobSchemas;
export const jobKinds = Object.keys(jobSchemas) as JobKind[];
export type JobPayload<K extends JobKind> = z.infer<(typeof jobSchemas)[K]>;
export type IngestChunkJob = z.infer<typeof IngestChunkJob>;
export type ResizeImageJob = z.infer<typeof ResizeImageJob>;
export type AnalyzeImageJob = z.infer<typeof AnalyzeImageJob>;
export type NotifyWebhookJob = z.infer<typeof NotifyWebhookJob>;
export type WebhookEvent = z.infer<typeof WebhookEvent>;
