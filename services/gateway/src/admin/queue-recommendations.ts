// What an operator should do about the queue status, in words (seed 002's `recommendations`).
import type { JobKind } from '@pixmill/contracts';
import type { QueueDepthView } from './queue-status';

export const ALL_NORMAL = 'Queue is operating normally';

export function queueRecommendations(s: {
  queues: Record<JobKind, QueueDepthView>;
  outbox: { failing: number };
  stuck: { count: number; batches: { batch_id: string }[] };
  thresholdMinutes: number;
}): string[] {
  const out: string[] = [];
  for (const [kind, q] of Object.entries(s.queues)) {
    if ('error' in q) {
      out.push(`Queue ${kind} does not answer (${q.error}): check the broker.`);
      continue;
    }
    if (q.ready > 0 && q.consumers === 0)
      out.push(`Queue ${kind} has ${q.ready} jobs waiting and no worker: start one.`);
    if (q.dead_lettered > 0)
      out.push(
        `Queue ${kind} holds ${q.dead_lettered} dead letters: inspect them (GET /api/v1/admin/dead-letters?queue=${kind}), then requeue or purge.`,
      );
  }
  if (s.outbox.failing > 0)
    out.push(`${s.outbox.failing} jobs are failing to reach the broker from the outbox: check the broker connection.`);
  if (s.stuck.count > 0)
    out.push(
      `${s.stuck.count} images have been in a worker's hands for more than ${s.thresholdMinutes} minutes: ` +
        `reset their batches (POST /admin/batch/{batch_id}/reset), e.g. ${s.stuck.batches[0]!.batch_id}.`,
    );
  return out.length > 0 ? out : [ALL_NORMAL];
}
