// The body of a webhook: built once per event from the ended batch, kept on the delivery rows, and rendered with a
// fixed key order so every attempt of one event sends the same bytes (the database's jsonb does not keep key order).
// Standard Webhooks' `type`, `timestamp` and `data`, and beside them the flat fields receivers written for the CSV
// upload document read (`request_id`, `status`, ..., `results_csv_url`): made from `data`'s, so they never disagree.
import { z } from 'zod';
import { resultsLinkExpiry, resultsLinkUrl } from '@pixmill/batch-state';
import type { WebhookEvent } from '@pixmill/contracts';
import type { Batch } from '@pixmill/db';

const EventData = z.object({
  batch_id: z.string(),
  request_id: z.string(),
  batch_name: z.string().nullable(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  total_images: z.number().int(),
  processed_images: z.number().int(),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  completion_time: z.string().nullable(),
  results_csv_url: z.string(),
});

/** What every attempt of an event is made from (and what the delivery rows keep). */
const StoredPayload = z.object({
  type: z.enum(['batch.completed', 'batch.failed', 'batch.cancelled']),
  timestamp: z.string(),
  data: EventData,
});

/**
 * The fields of `data` that also sit at the top level, under the CSV upload document's names. Its `status` is one of
 * that document's values: a cancelled batch ended without its results, which is `failed` there (as in
 * `GET /api/status/{id}`); `data.status` keeps `cancelled`.
 */
const FlatFields = EventData.pick({
  request_id: true,
  total_images: true,
  processed_images: true,
  completion_time: true,
  results_csv_url: true,
}).extend({ status: z.enum(['completed', 'failed']) });

export const WebhookPayload = StoredPayload.extend(FlatFields.shape);
export type WebhookPayload = z.infer<typeof WebhookPayload>;

const withFlatFields = (p: z.infer<typeof StoredPayload>): WebhookPayload => ({
  type: p.type,
  timestamp: p.timestamp,
  ...flatFields(p.data),
  data: p.data,
});

const flatFields = (d: WebhookPayload['data']): z.infer<typeof FlatFields> => ({
  request_id: d.request_id,
  status: d.status === 'cancelled' ? 'failed' : d.status,
  total_images: d.total_images,
  processed_images: d.processed_images,
  completion_time: d.completion_time,
  results_csv_url: d.results_csv_url,
});

export type LinkSettings = {
  /** Base URL receivers reach the gateway at (PUBLIC_URL). */
  publicUrl: string;
  /** Key for signed results links (the JWT secret); without one the link needs an API token to use. */
  resultsLinkSecret?: string;
};

/** A link re-signed on a later attempt only when it would expire within this margin (so retries keep the same body). */
const LINK_REFRESH_MARGIN_S = 24 * 3600;

const STATUS_OF: Record<WebhookEvent, WebhookPayload['data']['status']> = {
  'batch.completed': 'completed',
  'batch.failed': 'failed',
  'batch.cancelled': 'cancelled',
};

export function buildPayload(
  event: WebhookEvent,
  batch: Pick<
    Batch,
    'id' | 'name' | 'totalImages' | 'processedImages' | 'succeededImages' | 'failedImages' | 'completedAt'
  >,
  link: LinkSettings,
  now: Date,
): WebhookPayload {
  const completed = batch.completedAt?.toISOString() ?? null;
  return withFlatFields({
    type: event,
    timestamp: completed ?? now.toISOString(),
    data: {
      batch_id: batch.id,
      request_id: batch.id,
      batch_name: batch.name,
      status: STATUS_OF[event],
      total_images: batch.totalImages,
      processed_images: batch.processedImages,
      successful_count: batch.succeededImages,
      failed_count: batch.failedImages,
      completion_time: completed,
      results_csv_url: resultsCsvUrl(batch.id, link, now),
    },
  });
}

/**
 * The payload of an earlier attempt of the event, reused so retries carry the same body; undefined when it is
 * missing or not in the current shape (then the caller builds a fresh one). Its results link is re-signed only when
 * it is about to expire (a manual redelivery days later). The flat fields are made again from `data` (a payload
 * stored before they existed has none).
 */
export function reusePayload(stored: unknown, link: LinkSettings, now: Date): WebhookPayload | undefined {
  const parsed = StoredPayload.safeParse(stored);
  if (!parsed.success) return undefined;
  const payload = parsed.data;
  if (link.resultsLinkSecret) {
    const token = new URL(payload.data.results_csv_url, 'http://x').searchParams.get('token');
    const exp = token ? resultsLinkExpiry(token) : undefined;
    if (exp === undefined || exp - now.getTime() / 1000 < LINK_REFRESH_MARGIN_S) {
      payload.data.results_csv_url = resultsCsvUrl(payload.data.batch_id, link, now);
    }
  }
  return withFlatFields(payload);
}

/** JSON with the keys always in the order of WebhookPayload, whatever order the object came in. */
export function renderBody(p: WebhookPayload): string {
  const d = p.data;
  return JSON.stringify({
    type: p.type,
    timestamp: p.timestamp,
    ...flatFields(d),
    data: {
      batch_id: d.batch_id,
      request_id: d.request_id,
      batch_name: d.batch_name,
      status: d.status,
      total_images: d.total_images,
      processed_images: d.processed_images,
      successful_count: d.successful_count,
      failed_count: d.failed_count,
      completion_time: d.completion_time,
      results_csv_url: d.results_csv_url,
    },
  });
}

function resultsCsvUrl(batchId: string, link: LinkSettings, now: Date): string {
  if (link.resultsLinkSecret) return resultsLinkUrl(link.publicUrl, link.resultsLinkSecret, batchId, { now });
  return `${link.publicUrl.replace(/\/+$/, '')}/api/v1/batches/${batchId}/results.csv`;
}
