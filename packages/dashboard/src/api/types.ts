// The shapes of the API answers the dashboard reads (the data inside the envelope), as the OpenAPI document declares
// them. Only the fields the pages use.

export type Role = 'admin' | 'user';
export type { Route } from '../router';
export type BatchStatus = 'pending' | 'queued' | 'processing' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type ImageStatus = 'pending' | 'fetching' | 'processing' | 'succeeded' | 'failed' | 'cancelled';

export const BATCH_STATUSES: BatchStatus[] = [
  'pending',
  'queued',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
];
export const IMAGE_STATUSES: ImageStatus[] = ['pending', 'fetching', 'processing', 'succeeded', 'failed', 'cancelled'];

export type Session = {
  user: { id: string; username: string; role: Role };
  csrf_token: string;
  expires_at: string;
};

export type BatchSummary = {
  batch_id: string;
  batch_name: string | null;
  status: BatchStatus;
  total_images: number;
  processed_images: number;
  successful_count: number;
  failed_count: number;
  /** Percent done. (`progress` is that number in summaries, but an object in the batch detail: not read.) */
  progress_percentage: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  webhook_status?: 'not_sent' | 'pending' | 'sent' | 'failed';
};

export type BatchListItem = BatchSummary & {
  source: string;
  is_active: boolean;
  deleted_at: string | null;
};

export type BatchPage = { page: number; per_page: number; total: number; total_pages: number; items: BatchListItem[] };

export type BatchDetail = BatchSummary & {
  source: 'upload' | 'csv' | 'url_list';
  chunk_size: number | null;
  total_chunks: number;
  current_chunk: number | null;
  is_active: boolean;
  webhook_url: string | null;
  deleted_at: string | null;
  allowed_actions: string[];
  timing: {
    elapsed_seconds: number;
    eta_seconds: number | null;
    estimated_completion: string | null;
  };
  performance: {
    images_per_minute: number;
    success_rate: number | null;
    average_time_per_image: number | null;
  };
};

export type OutputView = {
  variant: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  download_url: string;
};

export type ImageView = {
  id: string;
  original_name: string | null;
  source_url: string | null;
  original_url?: string | null;
  row_number: number | null;
  status: ImageStatus;
  error: { code: string; message: string | null } | null;
  created_at: string;
  processed_at: string | null;
  outputs: OutputView[];
};

export type ImagePage = { batch_id: string; page: number; per_page: number; total: number; items: ImageView[] };

export type Chunk = {
  chunk_number: number;
  status: string;
  url_count: number;
  processed_count: number;
  failed_count: number;
  progress_percentage: number;
};

export type WebhookDelivery = {
  id: string;
  event: string;
  attempt: number;
  status: string;
  status_code: number | null;
  error: string | null;
  attempted_at: string;
  next_attempt_at: string | null;
};

export type DeliveryPage = {
  webhook_url: string | null;
  webhook_status: string;
  total: number;
  items: WebhookDelivery[];
};

export type Health = { status: string; checks: Record<string, { status: 'ok' | 'down'; ms: number; error?: string }> };

export type QueueDepth =
  { ready: number; unacked: number; consumers: number; dead_lettered: number; retrying: number } | { error: string };

export type SystemStats = {
  scope: 'own' | 'all';
  batches: { total: number; by_status: Partial<Record<BatchStatus, number>> };
  images: { total: number; processed: number; succeeded: number; failed: number; success_rate: number | null };
  queues: Record<string, QueueDepth>;
};

export type Throughput = {
  minutes: number;
  buckets: { start: string; succeeded: number; failed: number }[];
  totals: { succeeded: number; failed: number; failure_rate: number | null };
};

export type QueueStatus = {
  queues: Record<string, QueueDepth>;
  outbox: { unpublished: number; failing: number; oldest_unpublished_at: string | null; published_kept: number };
  stuck_images: {
    threshold_minutes: number;
    count: number;
    batches: { batch_id: string; count: number; oldest_started_at: string }[];
  };
};

export type User = { id: string; username: string; role: Role; created_at: string; disabled_at?: string | null };

export type ApiKey = {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at?: string | null;
};

export type DeadLetter = {
  message_id: string;
  attempt: number;
  reason: string | null;
  error: string | null;
  dead_lettered_at: string | null;
  payload: unknown;
};
