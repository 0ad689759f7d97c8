// Delivers one attempt of a webhook event: claim the attempt, sign, POST (no redirects, SSRF-guarded, time-capped),
// record what happened and schedule the next attempt — all state in the database and the outbox, none in memory.
import type { NotifyWebhookJob } from '@pixmill/contracts';
import type { Logger } from '@pixmill/observability';
import { enqueue, type JobContext } from '@pixmill/queue';
import type { SafeFetcher } from '@pixmill/safe-fetch';
import { judge, type AttemptResult, type Verdict } from '../delivery/attempt-outcome';
import { claimAttempt, eventRows, recordAttempt, type AttemptRecord, type DeliveryDb } from '../delivery/delivery-log';
import { retryDelayMs, runPosition } from '../delivery/retry-schedule';
import { buildPayload, renderBody, reusePayload, type LinkSettings } from '../delivery/webhook-payload';
import { InvalidSecretError, signDelivery } from '../delivery/webhook-signature';

export type NotifierConfig = LinkSettings & {
  /** WEBHOOK_TIMEOUT_MS: one attempt, connect to last byte. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE_MS: delays between attempts. */
  retryScheduleMs: readonly number[];
  /** WEBHOOK_DEFAULT_SECRET, for batches stored without a secret of their own. */
  defaultSecret?: string;
};

export type NotifierDeps = {
  prisma: DeliveryDb;
  fetcher: Pick<SafeFetcher, 'request'>;
  config: NotifierConfig;
  log: Logger;
  /** Told about every recorded attempt (metrics). */
  onAttempt?: (a: { outcome: 'succeeded' | 'retry' | 'failed' | 'disabled'; durationMs: number }) => void;
  now?: () => Date;
  random?: () => number;
};

const USER_AGENT = 'pixmill-webhooks/0.1';
// An attempt lasts at most its timeout; past it plus this margin, a pending attempt's worker is taken to be dead.
const LEASE_MARGIN_MS = 5_000;

export const makeNotifyWebhookHandler = (d: NotifierDeps) => async (job: NotifyWebhookJob, ctx?: JobContext) => {
  const now = d.now ?? (() => new Date());
  const log = d.log.child({
    batchId: job.batchId,
    eventId: job.eventId,
    attempt: job.attempt,
    ...(ctx ? { messageId: ctx.messageId } : {}),
  });

  const batch = await d.prisma.batch.findUnique({ where: { id: job.batchId } });
  if (!batch) return log.info('batch is gone; webhook not sent');
  if (!batch.webhookUrl) return log.info('batch has no webhook_url; nothing to send');
  if (batch.webhookDisabled) return log.info('webhooks are disabled for this batch (the receiver answered 410)');

  const rows = await eventRows(d.prisma, job.eventId);
  if (rows.some((r) => r.batchId !== job.batchId)) {
    return log.error('event id belongs to another batch; message ignored');
  }
  const at = now();
  const link: LinkSettings = { publicUrl: d.config.publicUrl, resultsLinkSecret: d.config.resultsLinkSecret };
  const first = rows[0];
  const payload = (first && reusePayload(first.payload, link, at)) ?? buildPayload(job.event, batch, link, at);

  const claim = await claimAttempt(
    d.prisma,
    job,
    { url: batch.webhookUrl, payload },
    { leaseMs: d.config.timeoutMs + LEASE_MARGIN_MS, now: at },
  );
  if (claim.kind === 'done') return log.debug('attempt already recorded; duplicate message');
  if (claim.kind === 'busy') {
    // Its worker may have died mid-attempt: look again when the lease ends (one look per claim, by message id).
    const messageId = `${job.eventId}.${job.attempt}.recheck.${claim.claimedAt.getTime()}`;
    await d.prisma.$transaction((tx) =>
      enqueue(tx, 'notify.webhook', job, { messageId, delayMs: claim.leaseEndsInMs + 1_000 }),
    );
    return log.info({ inMs: claim.leaseEndsInMs }, 'attempt held by another worker; will look again after its lease');
  }

  const body = renderBody(payload);
  const started = performance.now();
  let verdict: Verdict;
  try {
    const secret = batch.webhookSecret ?? d.config.defaultSecret;
    if (!secret) throw new InvalidSecretError('the batch has no signing secret and WEBHOOK_DEFAULT_SECRET is unset');
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-pixmill-event': job.event,
      'x-pixmill-attempt': String(job.attempt),
      ...signDelivery(secret, job.eventId, body, at),
    };
    let result: AttemptResult;
    try {
      result = {
        kind: 'response',
        response: await d.fetcher.request(batch.webhookUrl, {
          method: 'POST',
          headers,
          body,
          timeoutMs: d.config.timeoutMs,
        }),
      };
    } catch (error) {
      result = { kind: 'error', error };
    }
    verdict = judge(result);
  } catch (err) {
    if (!(err instanceof InvalidSecretError)) throw err;
    verdict = { outcome: 'failed', statusCode: null, error: err.message, retryable: false };
  }
  const durationMs = Math.round(performance.now() - started);

  const record: AttemptRecord = {
    status: verdict.outcome,
    statusCode: verdict.statusCode,
    error: 'error' in verdict ? verdict.error : null,
    durationMs,
  };
  if (verdict.outcome === 'failed' && verdict.retryable) {
    const delayMs = retryDelayMs(d.config.retryScheduleMs, runPosition(rows, job.attempt), d.random);
    if (delayMs === undefined) record.error = `${record.error} (gave up: retry schedule used up)`;
    else record.next = { at: new Date(now().getTime() + delayMs), delayMs };
  }
  const kept = await recordAttempt(d.prisma, job, claim, record);
  if (!kept) return log.warn('attempt was taken over by another worker while in flight; its record stands');

  const outcome = record.next ? 'retry' : record.status;
  d.onAttempt?.({ outcome, durationMs });
  const fields = {
    status: record.status,
    statusCode: record.statusCode,
    durationMs,
    ...(record.next ? { nextInMs: record.next.delayMs } : {}),
  };
  if (record.status === 'succeeded') log.info(fields, 'webhook delivered');
  else
    log.warn(
      { ...fields, err: record.error },
      record.next ? 'webhook attempt failed; retry scheduled' : 'webhook delivery failed',
    );
};
