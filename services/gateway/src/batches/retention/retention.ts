// How long a batch keeps its originals and its outputs: days after the batch ends, from its own `retention` or else
// the settings; null is forever. Housekeeping deletes what is past it (expire-objects.ts) and marks the batch, and
// from then on every route that would hand out or serve those objects answers 410 with the reason below.
import type { Settings } from '@pixmill/config';
import type { Batch } from '@pixmill/db';
import { z } from 'zod';
import { GoneError, ValidationError } from '../../errors';

export type RetentionKind = 'originals' | 'outputs';

const Days = z.number().int().min(1).max(36_500).nullable();
/** A batch's own retention: days after it ends, or null to keep forever; a kind left out follows the setting. */
export const RetentionOverride = z.strictObject({
  originals_days: Days.optional().describe('Days the originals are kept after the batch ends (null: forever)'),
  outputs_days: Days.optional().describe('Days the outputs are kept after the batch ends (null: forever)'),
});
export type RetentionOverride = z.infer<typeof RetentionOverride>;

type RetentionSettings = Pick<Settings, 'ORIGINALS_RETENTION_DAYS' | 'OUTPUTS_RETENTION_DAYS'>;
type RetainedBatch = Pick<Batch, 'id' | 'retention' | 'completedAt' | 'originalsExpiredAt' | 'outputsExpiredAt'>;

/** The `retention` option of batch creation: an object, or the same as a JSON string (multipart fields are text). */
export function parseRetentionOption(raw: unknown): RetentionOverride | undefined {
  if (raw === undefined || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
  }
  const parsed = RetentionOverride.safeParse(value);
  if (!parsed.success)
    throw new ValidationError(
      'retention: expected { "originals_days": days or null, "outputs_days": days or null } (1 to 36500 days; null keeps forever)',
      {
        field: 'retention',
        issues: parsed.error.issues.map((i) => `${i.path.join('.') || 'retention'}: ${i.message}`),
      },
      'invalid_retention',
    );
  return parsed.data;
}

/** Days `kind` is kept after the batch ends (null: forever). */
export function keepDays(b: Pick<Batch, 'retention'>, kind: RetentionKind, s: RetentionSettings): number | null {
  const own = (b.retention ?? {}) as RetentionOverride;
  const key = kind === 'originals' ? 'originals_days' : 'outputs_days';
  if (key in own) return own[key] ?? null;
  return (kind === 'originals' ? s.ORIGINALS_RETENTION_DAYS : s.OUTPUTS_RETENTION_DAYS) ?? null;
}

const expiredAtOf = (b: RetainedBatch, kind: RetentionKind) =>
  kind === 'originals' ? b.originalsExpiredAt : b.outputsExpiredAt;

const KindRetention = z.object({
  keep_days: z.number().int().nullable().describe('Days kept after the batch ends (null: forever)'),
  expires_at: z.iso.datetime().nullable().describe('When housekeeping deletes them (null: forever, or not ended)'),
  expired_at: z.iso.datetime().nullable().describe('When they were deleted for their retention'),
});
export const BatchRetention = z.object({ originals: KindRetention, outputs: KindRetention });

/** What the batch says of its retention: for each kind, how long, until when, and whether it already went. */
export function retentionView(b: RetainedBatch, s: RetentionSettings): z.infer<typeof BatchRetention> {
  const view = (kind: RetentionKind) => {
    const days = keepDays(b, kind, s);
    const expired = expiredAtOf(b, kind);
    return {
      keep_days: days,
      expires_at:
        days !== null && b.completedAt ? new Date(b.completedAt.getTime() + days * 86_400_000).toISOString() : null,
      expired_at: expired ? expired.toISOString() : null,
    };
  };
  return { originals: view('originals'), outputs: view('outputs') };
}

/** The 410 for an object of `kind` of this batch, when housekeeping deleted them. */
export function expiredError(b: RetainedBatch, kind: RetentionKind, s: RetentionSettings): GoneError | undefined {
  const at = expiredAtOf(b, kind);
  if (!at) return undefined;
  const days = keepDays(b, kind, s);
  return new GoneError(
    `the ${kind} of this batch were deleted on ${at.toISOString()}: they are kept ${days ?? 'forever'} days after the batch ends`,
    { batch_id: b.id, kind, expired_at: at.toISOString(), keep_days: days },
    'expired',
  );
}
