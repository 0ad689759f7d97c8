// Rewrites the fault-suite section of README.md (between `<!-- faults:start -->` and `<!-- faults:end -->`) from
// bench/results/faults.json, so the table shows what a real run measured:
//   pnpm test:faults && npx tsx services/standalone/test/faults/support/render-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_FILE, totals, type ResultsFile, type ScenarioResult } from './results';
import { ROOT } from './service-process';

const README = path.join(ROOT, 'README.md');
const START = '<!-- faults:start -->';
const END = '<!-- faults:end -->';

const seconds = (s: number | null) => (s === null ? '—' : `${s} s`);

function row(r: ScenarioResult): string {
  const t = totals(r);
  return [
    r.n,
    r.title,
    `${t.images} (${t.succeeded} / ${t.failed})`,
    t.lost,
    t.missingOutputs,
    t.duplicatedOutputs,
    t.duplicateWebhooks,
    `${seconds(r.recoverySeconds)}: ${r.recoveryMeasure}`,
    r.passed ? 'pass' : '**FAIL**',
  ].join(' | ');
}

export function renderSection(file: ResultsFile): string {
  const scenarios = Object.values(file.scenarios).sort((a, b) => a.n - b.n);
  const note = (n: number, key: string) => file.scenarios[String(n)]?.notes[key];
  return [
    START,
    '## Fault suite',
    '',
    '`pnpm test:faults` runs the pipeline as separate processes (gateway, ingest, resize, notifier) on real PostgreSQL,',
    'RabbitMQ and S3 protocol, breaks it mid-batch, and checks every batch afterwards: it ends, every image is',
    '`succeeded` or `failed` with a reason (each batch has a few bad files and URLs that must fail, and nothing else may),',
    'the counters equal the images, storage holds exactly the recorded outputs (listed, compared by key and size), and',
    'the receiver got exactly one signed completion webhook. Each scenario submits uploads and URLs from a loopback image',
    'server (at least 200 images in one batch). Scenarios 3 and 4 start a RabbitMQ node and a PostgreSQL cluster of',
    'their own (`infra/faults/`), so stopping them touches nothing else. Figures: `bench/results/faults.json`.',
    '',
    `Last run: ${file.generated_at.slice(0, 16).replace('T', ' ')} UTC, ${file.machine.cpus} cores (shared), Node ${file.machine.node}.`,
    '',
    '| # | fault | images (ok / failed) | lost | missing outputs | duplicated outputs | duplicate webhooks | recovery | |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...scenarios.map((r) => `| ${row(r)} |`),
    '',
    'What the runs also showed:',
    `- Gateway killed mid-upload: a batch exists only once its last file is stored (one transaction), so the cut upload left`,
    `  no batch, image or job; the client's retry with its \`Idempotency-Key\` made exactly one. The files streamed before`,
    `  the kill stay in storage under a batch id that never existed (${String(note(5, 'orphaned_original_objects') ?? '?')} objects here), with the upload's`,
    "  intent row: the gateway's housekeeping removes them once the upload is a day old (the scenario runs it with its",
    "  clock moved on: every orphan gone, the batches' own files kept).",
    `- RabbitMQ outage: processes reconnect on their own backoff (doubling, capped at 10 s), so work resumed`,
    `  ${String(file.scenarios['3']?.recoverySeconds ?? '?')} s after the broker was back; rows the outbox relay had failed to publish wait out their own backoff`,
    `  (1 s doubling, 60 s cap), so the outbox drained ${String(note(3, 'outbox_drained_seconds_after_restart') ?? '?')} s after it.`,
    `- PostgreSQL outage: a job that met it was held, unacked, by its worker (no attempt spent; a worker whose prefetch`,
    `  is full of held jobs takes no more) while one probe per process polled the database each second, so work resumed`,
    `  ${String(file.scenarios['4']?.recoverySeconds ?? '?')} s after the database was back. An outage of any length is waited out this way (jobs used to spend`,
    '  their attempts on it and be dead-lettered after about 2.5 min; packages/runtime/test/database-outage.test.ts holds',
    '  jobs past their whole retry schedule).',
    `- Poison message: it went round ${String(note(7, 'poison_deliveries') ?? '?')} times, landed in the dead-letter queue with reason and attempt, and held only its`,
    '  own batch (`queued`, visible in the admin queue status); after the cause was removed, the admin reset finished it.',
    END,
  ].join('\n');
}

if (require.main === module) {
  const file = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ResultsFile;
  const readme = readFileSync(README, 'utf8');
  const section = renderSection(file);
  let next: string;
  if (readme.includes(START) && readme.includes(END)) {
    next = readme.slice(0, readme.indexOf(START)) + section + readme.slice(readme.indexOf(END) + END.length);
  } else {
    const at = readme.indexOf('\n## Tests');
    if (at < 0) throw new Error('README.md has no "## Tests" heading to put the section before');
    next = `${readme.slice(0, at + 1)}${section}\n\n${readme.slice(at + 1)}`;
  }
  writeFileSync(README, next);
  console.log(`README.md: fault table from ${path.relative(ROOT, RESULTS_FILE)} (${file.generated_at})`);
}
