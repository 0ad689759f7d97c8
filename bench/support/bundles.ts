// Benchmarks run the services as deployed: each from its bundle (infra/build/bundle.mjs), with plain node.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './processes';

export type DeployedService = 'gateway' | 'ingest' | 'resize' | 'notifier';

let built = false;

/** The entry point of a deployed service, bundling all of them from the current source once per run. */
export function deployedEntry(service: DeployedService): string {
  if (!built) {
    execFileSync(process.execPath, [path.join(ROOT, 'infra/build/bundle.mjs')], { cwd: ROOT, stdio: 'inherit' });
    built = true;
  }
  return path.join('services', service, 'dist/main.js');
}
