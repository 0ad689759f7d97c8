// The Dockerfile and .dockerignore, statically. (hadolint is not packaged for Debian nor on npm; dockerfilelint, from
// npm, is the linter here. The build steps themselves are replayed in build-dryrun.test.ts.)
import { settingsShape } from '@pixmill/config';
import {
  BUNDLE_FILE,
  bundledServices,
  deployableServices,
  entryFile,
  execForm,
  parseDockerfile,
  parseDockerignore,
  readRepoFile,
  type Stage,
} from '../src';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dockerfilelint = require('dockerfilelint') as {
  run(dir: string, content: string): { title: string; line: number }[];
};

const text = readRepoFile('Dockerfile');
const df = parseDockerfile(text);
const runtime = df.stages[df.stages.length - 1] as Stage;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('passes dockerfilelint', () => {
    expect(dockerfilelint.run('.', text)).toEqual([]);
  });

  it('the linter flags a bad Dockerfile (so a pass means something)', () => {
    const bad = 'FROM node:latest\nRUN apt-get install curl\nEXPOSE 99999\nADD . /app\n';
    expect(dockerfilelint.run('.', bad).length).toBeGreaterThanOrEqual(3);
  });

  it('builds in one stage and runs in a slim one, pinned to a Node version', () => {
    expect(df.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    // eslint-disable-next-line no-template-curly-in-string -- the Dockerfile's own ${NODE_VERSION}
    for (const s of df.stages) expect(s.from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(df.globalArgs.NODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/); // which one: node-versions.test.ts
    expect(ops(df.stages[0] as Stage, 'RUN').join('\n')).toMatch(
      /pnpm deploy --filter "@pixmill\/\$\{SERVICE\}" --prod/,
    );
  });

  it('bundles the service before pnpm deploy copies it, and the bundler covers every deployed service', () => {
    const runs = ops(df.stages[0] as Stage, 'RUN');
    // eslint-disable-next-line no-template-curly-in-string -- the Dockerfile's own ${SERVICE}
    const bundling = runs.findIndex((r) => r === 'node infra/build/bundle.mjs "${SERVICE}"');
    const deploying = runs.findIndex((r) => r.startsWith('pnpm deploy '));
    expect(bundling).toBeGreaterThanOrEqual(0);
    expect(bundling).toBeLessThan(deploying);
    expect(bundledServices()).toEqual(deployableServices());
  });

  it('runs as the unprivileged node user, in exec form, the bundle with plain node (the command compose and k8s run)', () => {
    expect(ops(runtime, 'USER')).toEqual(['node']);
    expect(ops(runtime, 'ENTRYPOINT')).toEqual([]);
    const [cmd] = ops(runtime, 'CMD');
    expect(execForm(cmd as string)).toEqual(['node', BUNDLE_FILE]);
    expect(entryFile(execForm(cmd as string))).toBe(BUNDLE_FILE);
  });

  it('listens on every interface of the container (pixmill alone listens on loopback only)', () => {
    const env = ops(runtime, 'ENV').join(' ');
    expect(env).toMatch(/(^|\s)HOST=0\.0\.0\.0(\s|$)/);
    expect(settingsShape.HOST.parse(undefined)).toBe('127.0.0.1');
  });

  it('exposes the default ports of the gateway and of the workers', () => {
    const ports = ops(runtime, 'EXPOSE')
      .flatMap((a) => a.split(/\s+/))
      .map(Number);
    const defaultOf = (key: 'PORT' | 'HEALTH_PORT') => settingsShape[key].parse(undefined);
    expect(ports.sort()).toEqual([defaultOf('PORT'), defaultOf('HEALTH_PORT')].sort());
  });
});

describe('.dockerignore', () => {
  const ignore = parseDockerignore(readRepoFile('.dockerignore'));

  it('keeps out dependencies, history, local data, secrets and tests', () => {
    for (const p of [
      'node_modules/x',
      'packages/db/node_modules/pg/index.js',
      '.git/HEAD',
      '.env',
      'services/gateway/.env.local',
      'data/postgres/base',
      'packages/queue/test/outbox.test.ts',
      'packages/db/src/generated/prisma/client.ts',
      'services/gateway/dist/main.js',
      'infra/faults/postgres.sh',
    ]) {
      expect({ p, excluded: ignore.excludes(p) }).toEqual({ p, excluded: true });
    }
  });

  it('lets in what the build needs', () => {
    for (const p of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'packages/db/migrations/0001_init/migration.sql',
      'packages/db/prisma/schema.prisma',
      'packages/db/src/testing.ts',
      'services/resize/src/main.ts',
      'infra/build/bundle.mjs',
    ]) {
      expect({ p, excluded: ignore.excludes(p) }).toEqual({ p, excluded: false });
    }
  });
});
