// Every setting pixmill reads: one name, one default, one line of why. The README table is checked against this list.
import { isIP } from 'node:net';
import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
const msList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const parts = v.split(',').map((s) => Number(s.trim()));
      if (parts.length === 0 || parts.some((n) => !Number.isFinite(n) || n < 0)) {
        ctx.addIssue({ code: 'custom', message: 'expected comma-separated non-negative milliseconds' });
        return z.NEVER;
      }
      return parts;
    });

/** Names proxy-addr (Express's `trust proxy`) knows for address ranges. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyEntry = (entry: string): boolean => {
  if (PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128);
};
/** Express's `trust proxy`: false/true, a hop count, or comma-separated addresses, subnets and range names. */
const trustProxy = z
  .string()
  .default('false')
  .transform((v, ctx): boolean | number | string => {
    const value = v.trim();
    if (value === 'false' || value === 'true') return value === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !isProxyEntry(e));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected false, true, a hop count, or addresses/subnets/loopback/linklocal/uniquelocal; not ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return entries.join(',');
  });

/** Exact origins (scheme://host[:port], as a browser sends them in `Origin`), comma-separated. */
const origins = list.transform((entries, ctx) => {
  const bad = entries.filter((e) => {
    try {
      const u = new URL(e);
      return (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== e || e.includes('*');
    } catch {
      return true;
    }
  });
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected exact origins like https://app.example.com (scheme, host, port; no path, slash or wildcard); not ${bad.join(', ')}`,
    });
    return z.NEVER;
  }
  return entries;
});

/** A bind address: an IP literal (0.0.0.0 or :: for every interface) or a host name. */
const bindHost = z
  .string()
  .default('127.0.0.1')
  .refine(
    (v) => isIP(v) !== 0 || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(v),
    {
      message: 'expected an IP address (0.0.0.0 for every interface) or a host name',
    },
  );

export const settingsShape = {
  HOST: bindHost.describe(
    "Address the gateway (and the workers' health port) listens on: loopback by default, so a laptop exposes nothing; 0.0.0.0 in containers.",
  ),
  PORT: int(8080).describe('HTTP port of the gateway (and of the all-in-one process).'),
  DATA_DIR: z
    .string()
    .default('./data')
    .describe('Folder for the embedded database, local storage and generated secrets.'),
  DATABASE_URL: optionalString.describe(
    'PostgreSQL URL; unset runs an embedded PostgreSQL (binaries from npm) with its data in DATA_DIR.',
  ),
  MIGRATE_ON_START: bool(false).describe(
    'A service run on its own applies pending migrations to DATABASE_URL at start (under the migration lock) instead of stopping; the all-in-one always does.',
  ),
  DATABASE_PREPARED_STATEMENTS: int(200).describe(
    'Distinct SQL statements each database connection keeps prepared (parsed once, then only executed); 0 for PgBouncer in transaction mode before 1.21.',
  ),
  AMQP_URL: optionalString.describe(
    "RabbitMQ URL, or the URLs of a cluster's nodes separated by commas (each process starts at a random one and moves on when it fails); unset uses the in-process queue (only with the all-in-one process).",
  ),
  QUEUE_PREFIX: z
    .string()
    .default('pixmill')
    .describe('Prefix of exchange and queue names, so several deployments can share a broker.'),
  S3_ENDPOINT: optionalString.describe('S3 endpoint (MinIO, s3rver...); unset with S3_BUCKET uses AWS.'),
  S3_REGION: z.string().default('us-east-1').describe('S3 region.'),
  S3_BUCKET: optionalString.describe('Bucket for originals and outputs; unset stores files on local disk in DATA_DIR.'),
  S3_ACCESS_KEY_ID: optionalString.describe('S3 access key id (unset: the AWS default credential chain).'),
  S3_SECRET_ACCESS_KEY: optionalString.describe('S3 secret access key.'),
  S3_FORCE_PATH_STYLE: bool(false).describe('Use path-style S3 URLs (needed by MinIO and most S3-compatible servers).'),
  JWT_SECRET: optionalString.describe(
    'HS256 secret for login tokens, at least 32 bytes; generated into DATA_DIR when unset in embedded mode.',
  ),
  JWT_TTL_SECONDS: int(3600, 60).describe('Lifetime of a login token.'),
  SESSION_TTL_SECONDS: int(43200, 60).describe('Longest a dashboard sign-in lasts, however active (12 hours).'),
  SESSION_IDLE_SECONDS: int(3600, 60).describe('A dashboard sign-in unused this long ends.'),
  ADMIN_USERNAME: z.string().min(1).default('admin').describe('Admin user created on first start.'),
  ADMIN_PASSWORD: optionalString.describe('Password of that admin; a generated one is printed once when unset.'),
  PUBLIC_URL: optionalString.describe(
    'Base URL clients reach the gateway at, for signed download and results URLs (default http://localhost:PORT).',
  ),
  FETCH_ALLOW_HOSTS: list.describe(
    'Comma-separated host or host:port that URL fetching and webhooks may reach although private or loopback.',
  ),
  RESPONSE_CHECK_DIR: optionalString.describe(
    'Test runs only: a folder where the gateway records every answer that differs from its OpenAPI document (unset: off).',
  ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  HEALTH_PORT: int(9090).describe(
    'Port of /health and /metrics on the worker services (ingest, resize, notifier) when run alone.',
  ),
  MAX_FILE_BYTES: int(25 * 1024 * 1024, 1).describe('Largest uploaded image (413 above).'),
  MAX_FILES_PER_BATCH: int(500, 1).describe('Most images in one uploaded batch (413 above).'),
  MAX_CSV_BYTES: int(100 * 1024 * 1024, 1).describe('Largest CSV or JSON URL list (413 above).'),
  MAX_CSV_ROWS: int(200_000, 1).describe('Most data rows (or URLs) in one URL batch (413 above).'),
  MAX_INPUT_PIXELS: int(50_000_000, 1).describe('Largest decoded image in pixels; bigger inputs fail as image bombs.'),
  RESIZE_CONCURRENCY: int(2, 1).describe('Images one resize worker processes at once (about one per core).'),
  RESIZE_PREFETCH: int(8, 1).describe(
    'Resize jobs one worker holds at once: downloads, uploads and database work overlap while sharp runs RESIZE_CONCURRENCY of them.',
  ),
  RESIZE_TIMEOUT_MS: int(60_000, 100).describe('Time limit for processing one image.'),
  CHUNK_SIZE: int(500, 1).describe('URLs per ingest chunk job.'),
  FETCH_CONCURRENCY: int(8, 1).describe('URLs one ingest worker fetches at once.'),
  FETCH_CONNECT_TIMEOUT_MS: int(5_000, 100).describe('Connect timeout for fetching an image URL.'),
  FETCH_TIMEOUT_MS: int(30_000, 100).describe('Total time limit for fetching one image URL.'),
  FETCH_MAX_REDIRECTS: int(5, 0).describe('Redirect hops followed (each re-checked by the SSRF guard).'),
  QUEUE_PREFETCH: int(4, 1).describe('Unacknowledged messages a consumer holds at once.'),
  QUEUE_MAX_ATTEMPTS: int(5, 1).describe('Deliveries of a failing message before it is dead-lettered.'),
  QUEUE_RETRY_DELAYS_MS: msList('1000,5000,30000,120000').describe(
    'Delay before each retry of a failed message (last one repeats).',
  ),
  OUTBOX_POLL_MS: int(500, 10).describe('How often the outbox relay looks for unpublished messages.'),
  WEBHOOK_TIMEOUT_MS: int(15_000, 100).describe('Time limit of one webhook delivery attempt.'),
  WEBHOOK_RETRY_SCHEDULE_MS: msList(
    '5000,300000,1800000,7200000,18000000,36000000,50400000,72000000,86400000',
  ).describe('Delays between webhook attempts (Standard Webhooks schedule, about a day in all).'),
  WEBHOOK_DEFAULT_SECRET: optionalString.describe(
    'Signing secret (whsec_...) for batches created without one of their own.',
  ),
  OUTBOX_RETENTION_DAYS: int(7).describe(
    'Published outbox rows (finished jobs) are kept this long for inspection, then deleted by the gateway.',
  ),
  HOUSEKEEPING_INTERVAL_MINUTES: int(60).describe(
    'How often the gateway deletes old outbox rows and purges soft-deleted batches past their retention; 0 never.',
  ),
  DOWNLOAD_URL_TTL_SECONDS: int(3600, 1).describe('Lifetime of presigned and signed download URLs.'),
  RATE_LIMIT_PER_MINUTE: int(600, 1).describe('API requests per minute per client.'),
  LOGIN_RATE_LIMIT_PER_MINUTE: int(10, 1).describe(
    'Login attempts per minute per client address and username (password guessing).',
  ),
  LOGIN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: int(30, 1).describe(
    'Failed login attempts per minute per client address, whatever the usernames (password spraying).',
  ),
  PASSWORD_HASH_CONCURRENCY: int(1, 1).describe(
    'bcrypt hashes (logins, new passwords) one gateway process computes at once; the rest wait in line, so a login flood leaves the CPU to image work.',
  ),
  PASSWORD_HASH_WAIT_MS: int(2000, 0).describe(
    'Longest a login waits in that line; one that would wait longer is answered 503 with Retry-After.',
  ),
  REDIS_URL: optionalString.describe(
    'Redis URL for rate-limit counters shared by every gateway replica; unset counts in each process (N replicas allow N times the limits).',
  ),
  CORS_ORIGINS: origins.describe(
    'Comma-separated origins (https://app.example.com) whose pages may call the API from a browser, credentials included; empty: no cross-origin access.',
  ),
  TRUST_PROXY: trustProxy.describe(
    'Proxies in front of the gateway whose X-Forwarded-For is believed: false, a hop count, or addresses/subnets (e.g. 10.0.0.0/8, uniquelocal). Behind a load balancer, set it, or all clients share its address and its rate limits.',
  ),
  ANALYSIS_PROVIDER: z
    .enum(['local', 'google-vision', 'openai'])
    .default('local')
    .describe(
      'Where the `describe` analysis (store_image, store_name, image_description, labels) runs: local (not available), google-vision or openai (any OpenAI-compatible endpoint).',
    ),
  ANALYSIS_PROVIDER_URL: optionalString.describe(
    'Base URL of the provider (default https://vision.googleapis.com, or https://api.openai.com/v1).',
  ),
  ANALYSIS_PROVIDER_KEYS: list.describe('Comma-separated API keys of the provider; requests rotate over them.'),
  ANALYSIS_PROVIDER_MODEL: z
    .string()
    .default('gpt-4o-mini')
    .describe('Vision model asked at an OpenAI-compatible endpoint.'),
  ANALYSIS_PROVIDER_TIMEOUT_MS: int(30_000, 100).describe('Time limit of one provider request.'),
  ANALYSIS_PROVIDER_RETRIES: int(3, 0).describe('Retries of a provider request after a 429, a 5xx or a timeout.'),
  ANALYSIS_PROVIDER_CONCURRENCY: int(2, 1).describe('Provider requests in flight at once per key.'),
  ANALYSIS_PROVIDER_RATE_PER_MINUTE: int(55, 1).describe('Provider requests per minute per key.'),
  ANALYSIS_PROVIDER_MAX_ANSWER_BYTES: int(1_048_576, 1024).describe('Largest provider answer read (bigger ones fail).'),
  ANALYSIS_TIMEOUT_MS: int(60_000, 100).describe('Time limit of one slow analysis (faces, text) of one image.'),
  ANALYSIS_MAX_TEXT_CHARS: int(10_000, 1).describe('Longest text_content kept per image (longer text is cut).'),
  ANALYSIS_OCR_MAX_SIDE: int(1600, 200).describe('Longest side of the downscaled copy OCR reads.'),
  ANALYSIS_BLUR_THRESHOLD: z.coerce
    .number()
    .min(0)
    .default(25)
    .describe('Sharpness (variance of the Laplacian at 512 px) below which an image is flagged blurry.'),
  ANALYSIS_DUPLICATE_DISTANCE: int(8, 0)
    .refine((v) => v <= 32, 'at most 32')
    .describe('Most differing bits of two perceptual hashes for near-duplicates (GET /batches/{id}/duplicates).'),
  ANALYSIS_PHONE_REGION: optionalString
    .refine((v) => v === undefined || /^[A-Z]{2}$/.test(v), 'a two-letter country code, e.g. US')
    .describe('Country whose national phone formats count in business_contact; unset: international numbers only.'),
  ANALYZE_CONCURRENCY: int(1, 1).describe(
    'Images one analyze worker analyses at once (OCR and faces each use a core).',
  ),
} as const;

export const settingsSchema = z.object(settingsShape);
export type Settings = z.infer<typeof settingsSchema>;
