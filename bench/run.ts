// `pnpm bench [name...]`: runs the benchmarks (all by default), prints their figures and writes them, with the
// command that made them and the machine, to bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAnalysisBench } from './analysis.bench';
import { runExportBench } from './export.bench';
import { runImageBench } from './image-batch.bench';
import { runLoginFloodBench } from './login-flood.bench';
import { runSoakBench } from './soak.bench';
import { runUrlBench } from './url-batch.bench';
import { runWebhookLatencyBench } from './webhook-latency.bench';

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  'image-batch': runImageBench,
  'url-batch': () => runUrlBench(),
  'webhook-latency': runWebhookLatencyBench,
  soak: runSoakBench,
  export: () => runExportBench(),
  'login-flood': runLoginFloodBench,
  analysis: runAnalysisBench,
};

async function main() {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(benches);
  const outDir = path.join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  for (const name of names) {
    const bench = benches[name];
    if (!bench) throw new Error(`no benchmark ${name}; have ${Object.keys(benches).join(', ')}`);
    console.log(`\n== ${name}`);
    const figures = await bench();
    console.table(figures);
    // Bench parameters given in the environment belong to the command that made the figures.
    const params = Object.entries(process.env)
      .filter(([k]) => /^(IMAGE_BENCH|URL_BENCH|SOAK)_/.test(k))
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    const record = {
      benchmark: name,
      command: `${params}pnpm bench ${name}`,
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        memory_gb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      figures,
    };
    writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
