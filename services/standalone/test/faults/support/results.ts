// The suite's figures, written to bench/results/faults.json as each scenario ends (pass or fail), so the README's
// table comes from a real run: `npx tsx services/standalone/test/faults/support/render-table.ts` rewrites it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import type { BatchFigures } from './verify';
import { ROOT } from './service-process';

export const RESULTS_FILE = path.join(ROOT, 'bench/results/faults.json');

export type ScenarioResult = {
  /** 1–7, as issue 8 numbers them. */
  n: number;
  title: string;
  /** What was done to the pipeline, in figures (how many kills, how long down...). */
  fault: string;
  batches: BatchFigures[];
  /** Seconds from the end of the fault to work flowing again (see `recoveryMeasure`). */
  recoverySeconds: number | null;
  recoveryMeasure: string;
  /** Seconds from the first submission to the last batch ending. */
  totalSeconds: number;
  /** Anything else the scenario measured (orphaned objects, dead-lettered attempts...). */
  notes: Record<string, unknown>;
  passed: boolean;
};

export type ResultsFile = {
  generated_at: string;
  command: string;
  machine: { cpus: number; node: string };
  scenarios: Record<string, ScenarioResult>;
};

/** Where a suite's figures go: the fault suite's file by default, the scale suite's bench/results/scale.json. */
export type ResultsTarget = { file: string; command: string };
export const FAULT_RESULTS: ResultsTarget = { file: RESULTS_FILE, command: 'pnpm test:faults' };

export function recordScenario(r: ScenarioResult, target: ResultsTarget = FAULT_RESULTS): void {
  let file: ResultsFile | undefined;
  if (existsSync(target.file)) {
    try {
      file = JSON.parse(readFileSync(target.file, 'utf8')) as ResultsFile;
    } catch {
      file = undefined;
    }
  }
  file ??= { generated_at: '', command: target.command, machine: { cpus: 0, node: '' }, scenarios: {} };
  file.generated_at = new Date().toISOString();
  file.machine = { cpus: cpus().length, node: process.version };
  file.scenarios[String(r.n)] = r;
  mkdirSync(path.dirname(target.file), { recursive: true });
  writeFileSync(target.file, `${JSON.stringify(file, null, 2)}\n`);
}

/** The sums a table row shows. */
export function totals(r: ScenarioResult) {
  const sum = (k: keyof BatchFigures) => r.batches.reduce((n, b) => n + Number(b[k]), 0);
  return {
    images: sum('images'),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    lost: sum('lost'),
    missingOutputs: sum('missingOutputs'),
    duplicatedOutputs: sum('duplicatedOutputs'),
    duplicateWebhooks: sum('duplicateWebhooks'),
    webhooksDelivered: sum('webhooksDelivered'),
  };
}
