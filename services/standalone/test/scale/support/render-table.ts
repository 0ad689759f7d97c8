// Rewrites the scale-suite section of README.md (between `<!-- scale:start -->` and `<!-- scale:end -->`, after the
// fault suite's) from bench/results/scale.json:
//   pnpm test:scale && npx tsx services/standalone/test/scale/support/render-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { totals, type ResultsFile } from '../../faults/support/results';
import { ROOT } from '../../faults/support/service-process';

const README = path.join(ROOT, 'README.md');
const RESULTS = path.join(ROOT, 'bench/results/scale.json');
const START = '<!-- scale:start -->';
const END = '<!-- scale:end -->';

export function renderSection(file: ResultsFile): string {
  const rows = Object.values(file.scenarios)
    .sort((a, b) => a.n - b.n)
    .map((r) => {
      const t = totals(r);
      const recovery = r.recoverySeconds === null ? '—' : `${r.recoverySeconds} s: ${r.recoveryMeasure}`;
      return `| ${r.n} | ${r.title} | ${t.images} | ${t.lost} | ${t.duplicatedOutputs + t.duplicateWebhooks} | ${recovery} | ${r.passed ? 'pass' : '**FAIL**'} |`;
    });
  const n1 = file.scenarios['1']?.notes ?? {};
  return [
    START,
    '## Scale suite',
    '',
    '`pnpm test:scale` (as root: it makes network namespaces) builds a cluster on this machine: test hosts on',
    '198.18.0.0/24 (routed nowhere; removed at the end), PostgreSQL, a three-node RabbitMQ cluster (quorum queues on all',
    "three), Redis for the gateways' rate limits, two gateways and two of each worker, all addressing each other by host",
    "address. Each scenario ends with the fault suite's checks. Figures: `bench/results/scale.json`. To run it bigger,",
    'raise the batch sizes in `services/standalone/test/scale/cluster.scale.ts`.',
    '',
    `Last run: ${file.generated_at.slice(0, 16).replace('T', ' ')} UTC, ${file.machine.cpus} cores (shared), Node ${file.machine.node}.`,
    '',
    '| # | scenario | images | lost | duplicated | recovery | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Steady state: ${String(n1.images_per_second_1_resize_worker ?? '?')} images/s with one resize worker,`,
    `${String(n1.images_per_second_2_resize_workers ?? '?')} with two (ratio ${String(n1.ratio_2_vs_1 ?? '?')}; every service shares the same 2 cores).`,
    END,
  ].join('\n');
}

if (require.main === module) {
  const file = JSON.parse(readFileSync(RESULTS, 'utf8')) as ResultsFile;
  const readme = readFileSync(README, 'utf8');
  const section = renderSection(file);
  let next: string;
  if (readme.includes(START)) {
    next = readme.slice(0, readme.indexOf(START)) + section + readme.slice(readme.indexOf(END) + END.length);
  } else {
    const at = readme.indexOf('<!-- faults:end -->');
    if (at < 0) throw new Error('README.md has no fault-suite section to put the scale table after');
    const after = at + '<!-- faults:end -->'.length;
    next = `${readme.slice(0, after)}\n\n${section}${readme.slice(after)}`;
  }
  writeFileSync(README, next);
  console.log(`README.md: scale table from ${path.relative(ROOT, RESULTS)} (${file.generated_at})`);
}
