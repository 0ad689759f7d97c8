// What went wrong in a batch and what to do about it: failures grouped by category (analyze), and a 0–100 health
// score from success rate, speed and error patterns (health). Pure functions over counts read in one place.
import { asFailureCode, failureCategory, type FailureCategory } from '@pixmill/contracts';
import type { Batch, PrismaClient } from '@pixmill/db';

export type ErrorCategory = FailureCategory;

/** A failure's category from its code as stored; `fetched` tells a processing timeout from a download timeout. */
export const errorCategory = (code: string | null, fetched: boolean): ErrorCategory =>
  failureCategory(asFailureCode(code), fetched);

const ADVICE: Record<ErrorCategory, string> = {
  network: 'Some image hosts timed out or could not be reached: retry the failed images later (retry-failed).',
  http: 'Image hosts answered with HTTP errors (e.g. 404, 403): check that the URLs are public and still exist.',
  invalid_url: 'Some URLs are malformed or empty: fix them in the input and submit those rows again.',
  blocked:
    'Some URLs point to private, loopback or non-http(s) addresses, which are refused for safety (an operator can allow hosts with FETCH_ALLOW_HOSTS).',
  not_an_image: 'Some URLs or files are not JPEG, PNG, WebP, AVIF, GIF or TIFF images: check what they serve.',
  too_large: 'Some images exceed the size or pixel limits: send smaller images or ask an operator about the limits.',
  processing:
    'Some images could not be processed (corrupt or truncated data, time limits, an unreachable max_bytes): check the originals and the recipe.',
  other: 'Some images failed for other reasons: see top_errors for the messages.',
};

/** Seed 002's `error_categories` keys: its own three names, and `<category>_errors` for pixmill's other categories. */
export const ERROR_CATEGORY_KEYS = {
  network: 'network_errors',
  http: 'http_errors',
  invalid_url: 'invalid_urls',
  blocked: 'blocked_urls',
  not_an_image: 'not_an_image_errors',
  too_large: 'too_large_errors',
  processing: 'processing_errors',
  other: 'other_errors',
} as const satisfies Record<ErrorCategory, string>;

type FailureRow = { code: string | null; fetched: boolean; count: number };
type TopRow = { code: string | null; message: string | null; count: number; example: string | null };

export type BatchFailures = { groups: FailureRow[]; top: TopRow[]; stuck: number; lastActivity: Date | null };

/** Everything analyze and health need, in four small queries (grouped in SQL, never a row per image). */
export async function readFailures(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  batchId: string,
  stuckBefore: Date,
): Promise<BatchFailures> {
  const [groups, top, stuck, activity] = await Promise.all([
    prisma.$queryRaw<{ code: string | null; fetched: boolean; count: bigint }[]>`
      SELECT error_code AS code, (original_key IS NOT NULL) AS fetched, count(*) AS count
        FROM images WHERE batch_id = ${batchId}::uuid AND status = 'failed'
       GROUP BY 1, 2`,
    prisma.$queryRaw<{ code: string | null; message: string | null; count: bigint; example: string | null }[]>`
      SELECT error_code AS code, error_message AS message, count(*) AS count,
             min(coalesce(source_url, original_name, id::text)) AS example
        FROM images WHERE batch_id = ${batchId}::uuid AND status = 'failed'
       GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10`,
    prisma.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count FROM images
       WHERE batch_id = ${batchId}::uuid AND status IN ('processing', 'fetching') AND started_at < ${stuckBefore}`,
    prisma.$queryRaw<{ at: Date | null }[]>`
      SELECT max(processed_at) AS at FROM images WHERE batch_id = ${batchId}::uuid`,
  ]);
  return {
    groups: groups.map((g) => ({ ...g, count: Number(g.count) })),
    top: top.map((t) => ({ ...t, count: Number(t.count) })),
    stuck: Number(stuck[0]?.count ?? 0),
    lastActivity: activity[0]?.at ?? null,
  };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0);

export function analyzeBatch(b: Batch, f: BatchFailures) {
  const byCategory = new Map<ErrorCategory, { count: number; codes: Map<string, number> }>();
  for (const g of f.groups) {
    const cat = errorCategory(g.code, g.fetched);
    const entry = byCategory.get(cat) ?? { count: 0, codes: new Map() };
    entry.count += g.count;
    const code = g.code ?? 'unknown';
    entry.codes.set(code, (entry.codes.get(code) ?? 0) + g.count);
    byCategory.set(cat, entry);
  }
  const failed = [...byCategory.values()].reduce((n, e) => n + e.count, 0);
  const categories = [...byCategory]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([category, e]) => ({
      category,
      count: e.count,
      percentage: pct(e.count, failed),
      codes: Object.fromEntries([...e.codes].sort((a, b) => b[1] - a[1])),
    }));
  const errorCategories = Object.fromEntries(
    (Object.keys(ERROR_CATEGORY_KEYS) as ErrorCategory[]).map((c) => [
      ERROR_CATEGORY_KEYS[c],
      byCategory.get(c)?.count ?? 0,
    ]),
  ) as Record<(typeof ERROR_CATEGORY_KEYS)[ErrorCategory], number>;
  return {
    batch_id: b.id,
    status: b.status,
    total_images: b.totalImages,
    processed_images: b.processedImages,
    total_errors: failed,
    failed_images: failed,
    failure_rate: pct(failed, b.processedImages),
    error_categories: errorCategories,
    categories,
    top_errors: f.top.map((t) => ({
      error_type: t.code ?? 'unknown',
      code: t.code,
      message: t.message,
      count: t.count,
      percentage: pct(t.count, failed),
      example: t.example,
    })),
    recommendations: categories.map((c) => ADVICE[c.category]),
  };
}

/** No finished image for this long while the batch runs means it is stalled. */
export const STALL_MS = 10 * 60_000;

export function batchHealth(b: Batch, f: BatchFailures, now = new Date()) {
  const active = b.status === 'queued' || b.status === 'processing';
  const processed = b.processedImages;
  const successRate = processed > 0 ? b.succeededImages / processed : null;

  // Success: 60 points, in proportion; nothing processed yet is not held against the batch.
  const success = Math.round((successRate ?? 1) * 60);

  // Speed: 20 points unless a running batch stalls (nothing finished for STALL_MS) or images are stuck.
  // The batch row changes with every counted image and every resume, so a batch just resumed is not stalled.
  const since = new Date(
    Math.max(f.lastActivity?.getTime() ?? 0, b.updatedAt.getTime(), (b.startedAt ?? b.createdAt).getTime()),
  );
  const stalled = active && now.getTime() - since.getTime() > STALL_MS;
  const elapsedMin =
    b.startedAt === null ? 0 : Math.max(0, ((b.completedAt ?? now).getTime() - b.startedAt.getTime()) / 60_000);
  const rate = elapsedMin > 0 ? processed / elapsedMin : null;
  const speed = stalled ? 0 : f.stuck > 0 ? 10 : 20;

  // Error patterns: 20 points, less when one error dominates (systematic, not bad luck) or inputs are refused.
  const failed = f.groups.reduce((n, g) => n + g.count, 0);
  const topShare = failed > 0 ? (f.top[0]?.count ?? 0) / failed : 0;
  const systematic = failed >= 5 && topShare >= 0.5;
  const refused = f.groups.some((g) => ['blocked', 'invalid_url'].includes(errorCategory(g.code, g.fetched)));
  const patterns = Math.max(0, 20 - (systematic ? 10 : 0) - (refused ? 5 : 0));

  const score = Math.max(0, Math.min(100, success + speed + patterns));
  const issues: string[] = [];
  const recommendations: string[] = [];
  if (successRate !== null && successRate < 0.9) {
    issues.push(`${pct(processed - b.succeededImages, processed)}% of processed images failed`);
    recommendations.push('See GET /batches/{id}/analyze for the failures by category; retry-failed runs them again.');
  }
  if (stalled) {
    issues.push(`no image finished in the last ${Math.round(STALL_MS / 60_000)} minutes`);
    recommendations.push('Check that workers are running (GET /system/stats shows queue consumers).');
  }
  if (f.stuck > 0) {
    issues.push(`${f.stuck} image(s) have been processing for a long time`);
    recommendations.push('An admin can re-queue stuck images with POST /admin/batch/{id}/reset.');
  }
  if (systematic) {
    issues.push(`one error accounts for ${Math.round(topShare * 100)}% of failures: ${f.top[0]?.code ?? 'unknown'}`);
    recommendations.push('A single dominant error usually has a single cause: fix it before retrying.');
  }
  if (refused) recommendations.push(ADVICE.blocked);
  if (b.status === 'paused') recommendations.push('The batch is paused: resume it to continue.');
  if (b.status === 'pending')
    recommendations.push('The batch has not started: start it with POST /batches/{id}/start.');

  return {
    batch_id: b.id,
    status: b.status,
    health_score: score,
    health_status: score >= 80 ? 'healthy' : score >= 50 ? 'degraded' : 'unhealthy',
    factors: {
      success_rate: Math.round((success / 60) * 1000) / 10,
      processing_speed: Math.round((speed / 20) * 1000) / 10,
      error_patterns: Math.round((patterns / 20) * 1000) / 10,
    },
    components: {
      success_rate: { score: success, max: 60, value: successRate === null ? null : pct(b.succeededImages, processed) },
      speed: { score: speed, max: 20, processing_rate_per_minute: rate === null ? null : Math.round(rate * 100) / 100 },
      error_patterns: { score: patterns, max: 20, top_error_share: Math.round(topShare * 100) / 100 },
    },
    stuck_images: f.stuck,
    last_activity_at: f.lastActivity?.toISOString() ?? null,
    issues,
    recommendations,
  };
}
