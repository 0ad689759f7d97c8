// What happens to one delivered message, decided the same way by both transports: parse, run, classify the failure.
import { jobSchemas, type JobKind } from '@pixmill/contracts';
import type { Logger } from '@pixmill/observability';
import type { DependencyGate } from './dependency-gate';
import { PermanentError } from './errors';
import { retryDelayMs, type DeadReason } from './topology';
import type { Handler, JobContext } from './transport';

export type DeliveryOutcome =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number; nextAttempt: number; error: string }
  | { action: 'dead-letter'; reason: DeadReason; error: string };

export type RetryPolicy = {
  maxAttempts: number;
  retryDelaysMs: readonly number[];
  /** Failures that mean a shared dependency is down hold the job until it is back, spending no attempt. */
  dependencies?: DependencyGate | undefined;
};

const MAX_ERROR_CHARS = 1000;
/**
 * Holds of one delivery before its failure counts as an ordinary one. A real outage is one hold however long it lasts
 * (the job runs again once the dependency answers); a job that keeps failing "as if" the dependency were down while
 * it answers must not loop forever.
 */
const MAX_HOLDS = 10;

export async function runDelivery<K extends JobKind>(d: {
  kind: K;
  body: Buffer | string;
  ctx: JobContext;
  handler: Handler<K>;
  policy: RetryPolicy;
  log: Logger;
}): Promise<DeliveryOutcome> {
  // The caller's logger already names the kind.
  const log = d.log.child({ messageId: d.ctx.messageId, attempt: d.ctx.attempt });
  let json: unknown;
  try {
    json = JSON.parse(typeof d.body === 'string' ? d.body : d.body.toString('utf8'));
  } catch (err) {
    const error = describe(err);
    log.error({ reason: 'invalid-json', err: error }, 'message is not JSON; dead-lettered');
    return { action: 'dead-letter', reason: 'invalid-json', error };
  }
  const parsed = jobSchemas[d.kind].safeParse(json);
  if (!parsed.success) {
    const error = truncate(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    log.error({ reason: 'invalid-payload', err: error }, 'message does not match its schema; dead-lettered');
    return { action: 'dead-letter', reason: 'invalid-payload', error };
  }
  const run = () =>
    // Called through a promise so a handler that throws synchronously is treated like one that rejects.
    Promise.resolve().then(() => d.handler(parsed.data as Parameters<Handler<K>>[0], d.ctx));
  try {
    const gate = d.policy.dependencies;
    let holds = 0;
    for (;;) {
      try {
        await run();
        break;
      } catch (err) {
        if (!gate?.isOutage(err) || ++holds > MAX_HOLDS) throw err;
        log.warn({ err: describe(err) }, 'a dependency is down; job held until it is back (no attempt spent)');
        if (!(await gate.waitUntilAvailable())) {
          // The worker is stopping: hand the job back as the same attempt.
          return { action: 'retry', delayMs: 0, nextAttempt: d.ctx.attempt, error: describe(err) };
        }
      }
    }
    log.debug('job done');
    return { action: 'ack' };
  } catch (err) {
    const error = describe(err);
    if (isPermanent(err)) {
      log.error({ reason: 'permanent-error', err: error }, 'job failed permanently; dead-lettered');
      return { action: 'dead-letter', reason: 'permanent-error', error };
    }
    if (d.ctx.attempt >= d.policy.maxAttempts) {
      log.error({ reason: 'max-attempts', err: error }, 'job failed on its last attempt; dead-lettered');
      return { action: 'dead-letter', reason: 'max-attempts', error };
    }
    const delayMs = retryDelayMs(d.policy.retryDelaysMs, d.ctx.attempt);
    log.warn({ err: error, delayMs }, 'job failed; retry scheduled');
    return { action: 'retry', delayMs, nextAttempt: d.ctx.attempt + 1, error };
  }
}

function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err instanceof Error && err.name === 'PermanentError');
}

function describe(err: unknown): string {
  return truncate(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}…` : s;
}

/** The attempt number carried in a header; anything unreadable counts as a first attempt. */
export function attemptFrom(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function validatePolicy(p: RetryPolicy): void {
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1)
    throw new Error(`maxAttempts must be an integer >= 1, got ${p.maxAttempts}`);
  for (const ms of p.retryDelaysMs) {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`retryDelaysMs must be finite and >= 0, got ${ms}`);
  }
}

export function assertKind(kind: string): asserts kind is JobKind {
  if (!Object.hasOwn(jobSchemas, kind)) throw new Error(`unknown job kind: ${kind}`);
}

/** A message body as an operator reads it: its JSON, or the text when it is not JSON. */
export function parseBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
