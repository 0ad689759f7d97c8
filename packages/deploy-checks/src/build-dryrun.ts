// Replays the Dockerfile's build outside Docker (CI has no Docker engine): the build stage's COPY and RUN steps run
// in a temporary folder standing for the image's file system, with the build context filtered by .dockerignore;
// then the runtime stage's COPY --from tells which folder is the image. The commands are read from the Dockerfile
// itself, so they cannot drift from what `docker build` runs. What cannot be the same outside Docker:
// - `npm install -g pnpm@X` is not run (CI must not change the machine's global tools); the pnpm on PATH must be X.
// - the pnpm store (`--store-dir`) is the machine's own, so the install works offline.
import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDockerignore, type DockerIgnore } from './dockerignore';
import { execForm, expand, parseArg, parseDockerfile, parseEnv, type Instruction, type Stage } from './dockerfile';
import { ROOT } from './repo';

const run = promisify(execFile);

export type BuiltImage = {
  service: string;
  /** The folder that is the runtime image's WORKDIR. */
  appDir: string;
  /** The runtime stage's CMD. */
  cmd: string[];
  /** The runtime stage's ENV. */
  env: Record<string, string>;
  /** The runtime stage's USER. */
  user: string | undefined;
};

export type DryRunOptions = {
  services: string[];
  /** An empty temporary folder. */
  workDir: string;
  log?: (line: string) => void;
};

export async function dryRunBuild(o: DryRunOptions): Promise<BuiltImage[]> {
  const log = o.log ?? (() => undefined);
  const df = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = df.stages[df.stages.length - 1] as Stage;
  const copyFrom = runtime.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => /^--from=(\S+)\s+(\S+)\s+(\S+)$/.exec(i.args))
    .find((m): m is RegExpExecArray => m !== null);
  if (!copyFrom) throw new Error('the runtime stage copies nothing from the build stage');
  const [, fromStage, artifact] = copyFrom as unknown as [string, string, string];
  const build = df.stages.find((s) => s.name === fromStage);
  if (!build) throw new Error(`no stage named ${fromStage}`);

  const storeDir = (await run('pnpm', ['store', 'path'], { cwd: ROOT })).stdout.trim();
  const pnpmVersion = (await run('pnpm', ['--version'], { cwd: ROOT })).stdout.trim();
  const ignore = parseDockerignore(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));

  // Steps up to the declaration of SERVICE are the same for every service (Docker's layer cache shares them).
  const split = build.instructions.findIndex((i) => i.op === 'ARG' && /^SERVICE(=|$)/.test(i.args));
  if (split < 0) throw new Error('the build stage declares no ARG SERVICE');
  const shared = build.instructions.slice(0, split);
  const perService = build.instructions.slice(split);

  const rootfs = path.join(o.workDir, 'rootfs');
  const state: StepState = {
    args: { ...df.globalArgs },
    env: {},
    cwd: '/',
    map: (p) => (p.startsWith(storeDir) ? p : path.join(rootfs, p)),
    storeDir,
    pnpmVersion,
    ignore,
    log,
  };
  await replay(shared, state);

  const images: BuiltImage[] = [];
  for (const service of o.services) {
    // Each service's artifact folder stands apart, like the separate images.
    const own = path.join(o.workDir, `artifact-${service}`);
    const s: StepState = {
      ...state,
      args: { ...state.args, SERVICE: service },
      env: { ...state.env },
      map: (p) =>
        p === artifact || p.startsWith(`${artifact}/`) ? path.join(own, p.slice(artifact.length)) : state.map(p),
    };
    await replay(perService, s);
    images.push(runtimeImage(runtime, df.globalArgs, service, path.join(own)));
  }
  return images;
}

type StepState = {
  args: Record<string, string | undefined>;
  env: Record<string, string>;
  /** The working directory inside the image. */
  cwd: string;
  map: (imagePath: string) => string;
  storeDir: string;
  pnpmVersion: string;
  ignore: DockerIgnore;
  log: (line: string) => void;
};

async function replay(steps: Instruction[], s: StepState): Promise<void> {
  for (const ins of steps) {
    const vars = { ...s.args, ...s.env };
    switch (ins.op) {
      case 'ARG':
        // A value given at build time (--build-arg) wins over the declared default.
        for (const [k, v] of Object.entries(parseArg(ins.args))) if (s.args[k] === undefined) s.args[k] = v;
        break;
      case 'ENV':
        Object.assign(s.env, parseEnv(expand(ins.args, vars)));
        break;
      case 'WORKDIR':
        s.cwd = path.posix.resolve(s.cwd, expand(ins.args, vars));
        mkdirSync(s.map(s.cwd), { recursive: true });
        break;
      case 'COPY':
        copyFromContext(expand(ins.args, vars), s);
        break;
      case 'RUN':
        await runStep(expand(stripRunFlags(ins.args), vars), s, ins);
        break;
      case 'LABEL':
      case 'EXPOSE':
      case 'USER':
        break;
      default:
        throw new Error(`Dockerfile line ${ins.line}: ${ins.op} is not replayed outside Docker`);
    }
  }
}

function stripRunFlags(args: string): string {
  return args.replace(/^(--[a-z]+=\S+\s+)+/, '');
}

async function runStep(command: string, s: StepState, ins: Instruction): Promise<void> {
  const globalPnpm = /^npm install -g pnpm@(\S+)$/.exec(command.trim());
  if (globalPnpm) {
    if (globalPnpm[1] !== s.pnpmVersion)
      throw new Error(`the Dockerfile installs pnpm ${globalPnpm[1]} but this machine has ${s.pnpmVersion}`);
    s.log(`line ${ins.line}: pnpm ${s.pnpmVersion} already installed`);
    return;
  }
  // Absolute paths inside the image become paths under the stand-in root; the store is the machine's.
  const local = command
    .replace(/--store-dir\s+\S+/g, `--store-dir ${s.storeDir}`)
    .replace(/(^|[\s"'=])(\/[A-Za-z0-9_./-]+)/g, (whole, pre: string, p: string) =>
      p.startsWith(s.storeDir) || p.startsWith('/dev/') ? whole : `${pre}${s.map(p)}`,
    );
  s.log(`line ${ins.line}: ${local}`);
  try {
    // /bin/sh -c, as the builder runs the shell form.
    await run('/bin/sh', ['-c', local], {
      cwd: s.map(s.cwd),
      env: { ...process.env, ...s.env, CI: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Dockerfile line ${ins.line} failed: ${command}\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

/** COPY <src>... <dest> from the build context (the repository filtered by .dockerignore). */
function copyFromContext(args: string, s: StepState): void {
  if (args.startsWith('--')) throw new Error(`COPY ${args}: flags are not replayed in the build stage`);
  const parts = args.split(/\s+/);
  const dest = path.posix.resolve(s.cwd, parts.pop() as string);
  for (const src of parts) {
    const rel = path.posix
      .normalize(src)
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    if (rel === '') {
      copyTree('', s.map(dest), s.ignore);
    } else {
      if (s.ignore.excludes(rel)) throw new Error(`COPY ${src}: excluded by .dockerignore`);
      const target =
        parts.length > 1 || args.trim().endsWith('/') ? path.join(s.map(dest), path.basename(rel)) : s.map(dest);
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(path.join(ROOT, rel), target, { recursive: true });
    }
  }
}

function copyTree(rel: string, to: string, ignore: DockerIgnore): void {
  const from = path.join(ROOT, rel);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    const excluded = ignore.excludes(childRel);
    if (entry.isDirectory()) {
      if (excluded && !ignore.mayIncludeUnder(childRel)) continue;
      copyTree(childRel, to, ignore);
      continue;
    }
    if (excluded) continue;
    const target = path.join(to, childRel);
    mkdirSync(path.dirname(target), { recursive: true });
    const stat = lstatSync(path.join(ROOT, childRel));
    cpSync(path.join(ROOT, childRel), target, { verbatimSymlinks: stat.isSymbolicLink() });
  }
}

function runtimeImage(
  stage: Stage,
  globalArgs: Record<string, string | undefined>,
  service: string,
  appDir: string,
): BuiltImage {
  const vars: Record<string, string | undefined> = { ...globalArgs, SERVICE: service };
  const env: Record<string, string> = {};
  let cmd: string[] | undefined;
  let user: string | undefined;
  for (const ins of stage.instructions) {
    if (ins.op === 'ENV') Object.assign(env, parseEnv(expand(ins.args, { ...vars, ...env })));
    if (ins.op === 'CMD') cmd = execForm(ins.args);
    if (ins.op === 'USER') user = ins.args.trim();
    if (ins.op === 'ENTRYPOINT') throw new Error('an ENTRYPOINT would change every command of compose and k8s');
  }
  if (!cmd) throw new Error('the runtime stage has no CMD');
  return { service, appDir, cmd, env, user };
}
