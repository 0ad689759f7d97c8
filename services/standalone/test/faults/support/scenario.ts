// The end every scenario shares: wait for the pipeline to settle, check each batch, record the figures (also when
// a check fails, so the results file shows it), then assert that nothing was lost or doubled.
import type { SubmittedBatch } from './fault-batches';
import { recordScenario, totals, type ResultsTarget, type ScenarioResult } from './results';
import { checkBatch, waitForQuiet, type CheckedPipeline } from './verify';

export type Ending = {
  n: number;
  title: string;
  fault: string;
  batches: SubmittedBatch[];
  startedAt: number;
  /** Called once the batches ended: the recovery time in seconds, or null when there was no gap to recover from. */
  recovery: () => Promise<number | null> | number | null;
  recoveryMeasure: string;
  notes?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  timeoutMs?: number;
  /** When the batches ended, if the scenario already waited for them (default: waits here). */
  endedAt?: number;
  /** Where the figures go (default: the fault suite's file). */
  results?: ResultsTarget;
};

export async function finishScenario(stack: CheckedPipeline, e: Ending): Promise<ScenarioResult> {
  const endedAt = e.endedAt ?? (await waitForQuiet(stack, e.batches, e.timeoutMs ?? 180_000));
  const batches = [];
  for (const b of e.batches) batches.push(await checkBatch(stack, b));
  const result: ScenarioResult = {
    n: e.n,
    title: e.title,
    fault: e.fault,
    batches,
    recoverySeconds: await e.recovery(),
    recoveryMeasure: e.recoveryMeasure,
    totalSeconds: Math.round((endedAt - e.startedAt) / 100) / 10,
    notes: (await e.notes?.()) ?? {},
    passed: false,
  };
  const t = totals(result);
  result.passed =
    batches.every((b) => b.problems.length === 0) &&
    t.lost === 0 &&
    t.missingOutputs === 0 &&
    t.duplicatedOutputs === 0 &&
    t.duplicateWebhooks === 0;
  recordScenario(result, e.results);
  return result;
}

/** The assertions of issue 8, for every scenario: each batch clean, and the four figures zero. */
export function expectNothingLost(r: ScenarioResult): void {
  for (const b of r.batches) expect({ batch: b.name, problems: b.problems }).toEqual({ batch: b.name, problems: [] });
  const t = totals(r);
  expect({
    lost: t.lost,
    missingOutputs: t.missingOutputs,
    duplicatedOutputs: t.duplicatedOutputs,
    duplicateWebhooks: t.duplicateWebhooks,
    webhooksDelivered: t.webhooksDelivered,
  }).toEqual({
    lost: 0,
    missingOutputs: 0,
    duplicatedOutputs: 0,
    duplicateWebhooks: 0,
    webhooksDelivered: r.batches.length,
  });
  for (const b of r.batches) expect(b.status).toBe('completed');
}

/** Polls `cond` until true; throws naming `what` after the timeout. Errors in `cond` count as false. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Handler runs of one queue that ended `ok` in a worker, read from its /metrics. */
export async function jobsDone(healthPort: string | undefined, queue: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
  const text = await res.text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('pixmill_jobs_total{')) continue;
    if (line.includes(`queue="${queue}"`) && line.includes('outcome="ok"')) n += Number(line.split(' ').at(-1));
  }
  return n;
}
