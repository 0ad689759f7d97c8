// Where things are in the repository, and what the code itself says the deployment files must match.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const repoPath = (...parts: string[]): string => path.join(ROOT, ...parts);
export const readRepoFile = (...parts: string[]): string => readFileSync(repoPath(...parts), 'utf8');

/** The services deployed on their own: every services/<name> with an entry point, except the all-in-one process. */
export function deployableServices(): string[] {
  return readdirSync(repoPath('services'), { withFileTypes: true })
    .filter(
      (d) => d.isDirectory() && d.name !== 'standalone' && existsSync(repoPath('services', d.name, 'src/main.ts')),
    )
    .map((d) => d.name)
    .sort();
}

/** The gateway serves HTTP on PORT; the workers serve health and metrics on HEALTH_PORT (runWorkerService). */
export const isWorker = (service: string): boolean =>
  readRepoFile('services', service, 'src/main.ts').includes('runWorkerService(');

/** The job kind a worker consumes, read from its worker.ts (`c.transport.consume('resize.image', ...)`). */
export function consumedKind(service: string): string {
  const src = readRepoFile('services', service, 'src/worker.ts');
  const kinds = [...src.matchAll(/\.consume\(\s*'([a-z]+\.[a-z]+)'/g)].map((m) => m[1] as string);
  if (kinds.length !== 1)
    throw new Error(`expected one consumed job kind in services/${service}/src/worker.ts, found ${kinds}`);
  return kinds[0] as string;
}

/** Paths the worker health server answers (packages/observability/src/health-server.ts). */
export function workerHealthPaths(): string[] {
  const src = readRepoFile('packages/observability/src/health-server.ts');
  return [...src.matchAll(/path === '(\/[a-z]+)'/g)].map((m) => m[1] as string);
}

/** Paths the gateway's health routes register (services/gateway/src/routes/health.routes.ts). */
export function gatewayHealthPaths(): string[] {
  const src = readRepoFile('services/gateway/src/routes/health.routes.ts');
  return [...src.matchAll(/api\.get\(\s*'([^']+)'/g)].map((m) => m[1] as string);
}

/** Dependencies (workspace packages included) a service's package.json declares for production. */
export function productionDependencies(service: string): string[] {
  const pkg = JSON.parse(readRepoFile('services', service, 'package.json')) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(pkg.dependencies ?? {});
}

/** The services infra/build/bundle.mjs bundles (its SERVICES list), each into services/<name>/dist/main.js. */
export function bundledServices(): string[] {
  const m = /const SERVICES = \[([^\]]*)\]/.exec(readRepoFile('infra/build/bundle.mjs'));
  if (!m) throw new Error('no SERVICES list in infra/build/bundle.mjs');
  return [...(m[1] as string).matchAll(/'([a-z-]+)'/g)].map((x) => x[1] as string).sort();
}

/** Where infra/build/bundle.mjs writes a service's bundle, relative to the service's folder. */
export const BUNDLE_FILE = 'dist/main.js';

/**
 * Whether a container command (run from the deployed service's folder, as the image's WORKDIR) names a file the
 * deployed service has: its bundle (built in the image, so checked against what the bundler builds rather than the
 * checkout), `src/...` of the service itself, or `node_modules/@pixmill/<pkg>/...` of a workspace package it depends
 * on.
 */
export function commandFileExists(service: string, file: string): boolean {
  if (file === BUNDLE_FILE)
    return bundledServices().includes(service) && existsSync(repoPath('services', service, 'src/main.ts'));
  const ws = /^node_modules\/@pixmill\/([a-z-]+)\/(.+)$/.exec(file);
  if (ws) {
    const [, pkg, rest] = ws as unknown as [string, string, string];
    return productionDependencies(service).includes(`@pixmill/${pkg}`) && existsSync(repoPath('packages', pkg, rest));
  }
  return existsSync(repoPath('services', service, file));
}

/**
 * The file a container command runs: `node <file>.js` (a service's bundle, plain Node) or
 * `node --import tsx <file>.ts` (TypeScript through tsx's loader: the migration command). Anything else (another
 * flag, a shell) is undefined.
 */
export function entryFile(command: readonly string[]): string | undefined {
  const [node, ...args] = command;
  if (node !== 'node') return undefined;
  const [a, b, c, ...rest] = args;
  if (a?.endsWith('.js') && args.length === 1) return a;
  if (a === '--import' && b === 'tsx' && c?.endsWith('.ts') && rest.length === 0) return c;
  return undefined;
}
