// When the next attempt of a failed delivery goes out: the configured schedule (WEBHOOK_RETRY_SCHEDULE_MS), with
// jitter so receivers that failed together are not all retried in the same instant.

/** Each delay is spread over ±10%. */
const JITTER = 0.1;

/**
 * Delay before the retry that follows the `position`-th attempt of a run (1-based), or undefined when the schedule
 * is used up. A run starts with the event's first attempt or with a manual redelivery.
 */
export function retryDelayMs(
  schedule: readonly number[],
  position: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[position - 1];
  if (base === undefined) return undefined;
  return Math.max(0, Math.round(base * (1 + JITTER * (2 * random() - 1))));
}

type Row = { attempt: number; status: string; nextAttemptAt: Date | null };

/**
 * Position of `attempt` in its run: 1 + the number of attempts just before it that failed with a retry scheduled.
 * An attempt that follows a final one (succeeded, given up, disabled) is a redelivery and starts a new run.
 */
export function runPosition(earlier: readonly Row[], attempt: number): number {
  const byAttempt = new Map(earlier.map((r) => [r.attempt, r]));
  let position = 1;
  for (let a = attempt - 1; a >= 1; a--) {
    const row = byAttempt.get(a);
    if (!row || row.status !== 'failed' || row.nextAttemptAt === null) break;
    position++;
  }
  return position;
}
