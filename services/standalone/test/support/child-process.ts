// A pixmill entry point run as its own process, the way a user or a container runs it (`pnpm start` is
// `tsx services/standalone/src/main.ts`): only the environment given (plus PATH and HOME), output collected.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { responseCheckEnv } from '@pixmill/gateway/testing';

export const ROOT = path.resolve(__dirname, '../../../..');
export const ALL_IN_ONE = 'services/standalone/src/main.ts';

export type PixmillProcess = {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits until the output matches, failing early if the process exits; answers the match. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Waits until GET `url` answers `status`, failing early if the process exits. */
  waitForStatus(url: string, status?: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; answers the exit code. */
  stop(graceMs?: number): Promise<number | null>;
};

/** `nodeArgs` go before the entry (e.g. `['--import', preload]` for a test's own hooks). */
export function startProcess(entry: string, env: Record<string, string>, nodeArgs: string[] = []): PixmillProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...responseCheckEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (!alive()) throw new Error(`${entry} exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`${entry}: no ${what} within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    waitForOutput: (pattern, timeoutMs = 120_000) =>
      until(`output ${pattern}`, async () => pattern.exec(out) ?? undefined, timeoutMs),
    waitForStatus: (url, status = 200, timeoutMs = 120_000) =>
      until(
        `${status} from ${url}`,
        async () =>
          (await fetch(url).then(
            (r) => r.status,
            () => 0,
          )) === status
            ? true
            : undefined,
        timeoutMs,
      ).then(() => undefined),
    async stop(graceMs = 30_000) {
      if (alive()) child.kill('SIGTERM');
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
