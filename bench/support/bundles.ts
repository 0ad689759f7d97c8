// Benchmarks run the services as deployed: each from its bundle (infra/build/bundle.mjs), with plain node.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { DEPLOYED_NODE_OPTIONS } from '@pixmill/deploy-checks/node-options';
import { ROOT, startService, type ServiceProcess } from './processes';

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

/**
 * Starts a service as its container runs it: the bundle, with the environment the image sets and the V8 flags compose
 * and k8s give it (DEPLOYED_NODE_OPTIONS) added to any NODE_OPTIONS in `env`.
 */
export function startDeployed(service: DeployedService, env: Record<string, string>): ServiceProcess {
  const flags = DEPLOYED_NODE_OPTIONS[service];
  // startService's default NODE_OPTIONS (--openssl-legacy-provider) is replaced by any given here, so it is kept.
  const nodeOptions = [env.NODE_OPTIONS ?? '--openssl-legacy-provider', flags].filter(Boolean).join(' ');
  // MALLOC_ARENA_MAX as the images set it (Dockerfile ENV).
  return startService(service, deployedEntry(service), { MALLOC_ARENA_MAX: '2', ...env, NODE_OPTIONS: nodeOptions });
}
