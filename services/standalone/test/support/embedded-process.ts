// `pnpm start` as a newcomer runs it: the all-in-one in a process of its own with nothing configured (embedded
// database, in-process queue, local disk in a throw-away DATA_DIR), so a test can tell a refused request from a dead
// process by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@pixmill/db/testing';
import { responseCheckEnv } from '@pixmill/gateway/testing';
import { readData } from '@pixmill/gateway/testing';

const ROOT = path.resolve(__dirname, '../../../..');

export type EmbeddedProcess = {
  child: ChildProcess;
  /** The PID it started with. */
  pid: number;
  port: number;
  base: string;
  dataDir: string;
  /** The generated admin password it printed once. */
  adminPassword: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Still the process that started, not exited (a restarted one would have another PID). */
  alive(): boolean;
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
  /** A bearer header for the admin. */
  adminAuth(): Promise<{ Authorization: string }>;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; removes DATA_DIR. Answers the exit code. */
  stop(graceMs?: number): Promise<number | null>;
};

export async function startEmbeddedProcess(o: { env?: Record<string, string>; timeoutMs?: number } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-embedded-'));
  const port = await freePort();
  // Only what any shell has, plus a free port and a throw-away data folder: no database, queue or S3 settings.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/standalone/src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...responseCheckEnv(),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanUp = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    // A loaded 2-core machine can take a while to boot the embedded database.
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    while (!/password: (\S+)/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    cleanUp();
    throw err;
  }
  const pid = child.pid!;
  const base = `http://127.0.0.1:${port}`;
  const adminPassword = /password: (\S+)/.exec(output)![1]!;
  const p: EmbeddedProcess = {
    child,
    pid,
    port,
    base,
    dataDir,
    adminPassword,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null && child.pid === pid,
    exited,
    async adminAuth() {
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: adminPassword }),
      });
      if (res.status !== 200) throw new Error(`admin login: ${res.status} ${await res.text()}`);
      return { Authorization: `Bearer ${((await readData(res)) as { access_token: string }).access_token}` };
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      cleanUp();
      return exited;
    },
  };
  return p;
}
