// Service processes for benchmarks: each pixmill service as its own node process (a deployed bundle with plain node,
// or TypeScript through tsx's loader in that same process), so its pid is the service's and its peak RSS its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export type ServiceProcess = {
  name: string;
  child: ChildProcess;
  /** Date.now() when it was spawned: a CPU profile's clock starts about then. */
  startedAt: number;
  peakRssMb(): number;
  /** The last few KB of its output. */
  output(): string;
  stop(): Promise<number | null>;
};

/**
 * Starts one service. `entry` is a TypeScript file (run through tsx's loader) or a built `.js` bundle (plain node,
 * as deployed). BENCH_PROF=<dir> writes a V8 CPU profile of each service to <dir>/<name>/ when it exits.
 */
export function startService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const profile = process.env.BENCH_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_PROF, name)}`]
    : [];
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...profile, ...loader, path.resolve(ROOT, entry)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_OPTIONS: '--openssl-legacy-provider',
      // As the images run a bundle (Dockerfile ENV).
      ...(loader.length === 0 ? { NODE_ENV: 'production' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  let peak = 0;
  // VmHWM is the kernel's own high-water mark of resident memory: read it last, before the process ends.
  const readPeak = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // already gone
    }
  };
  child.on('exit', (code) => {
    if (code && code !== 0) console.error(`${name} exited with ${code}:\n${out}`);
  });
  return {
    name,
    child,
    startedAt,
    output: () => out,
    peakRssMb: () => {
      readPeak();
      return Math.round(peak);
    },
    stop: () =>
      new Promise((resolve) => {
        readPeak();
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
