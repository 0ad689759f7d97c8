// One pixmill service as its own node process (`node --import tsx services/<svc>/src/main.ts`, as the image runs it),
// configured only by environment, with its output kept for waiting on log lines and for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { responseCheckEnv } from '@pixmill/gateway/testing';

export const ROOT = path.resolve(__dirname, '../../../../..');

export type ServiceName = 'gateway' | 'ingest' | 'resize' | 'notifier' | 'analyze';

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type ServiceProcess = {
  /** `resize`, `resize-b`, ...: how the suite tells processes of one service apart. */
  label: string;
  service: ServiceName;
  child: ChildProcess;
  env: Record<string, string>;
  exited: Promise<Exit>;
  /** True until the process ends. */
  alive(): boolean;
  /** Resolves with the first JSON log line whose `msg` is `msg` (seen before or after the call). */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** How many JSON log lines so far have this `msg`. */
  countLog(msg: string): number;
  /** The last lines the process printed, for failure messages. */
  tail(lines?: number): string;
  /** SIGKILL (no drain, no cleanup: what `kill -9` and an OOM kill do), resolved once the process is gone. */
  kill9(): Promise<Exit>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<Exit>;
};

const KEEP_LINES = 2000;

/** `netns`: run it on a scale-suite test host (`ip netns exec` replaces itself with node, so the pid is node's). */
export function startServiceProcess(
  label: string,
  service: ServiceName,
  env: Record<string, string>,
  o: { netns?: string } = {},
): ServiceProcess {
  const node = [process.execPath, '--import', 'tsx', path.join(ROOT, `services/${service}/src/main.ts`)];
  const [cmd, ...args] = o.netns ? ['ip', 'netns', 'exec', o.netns, ...node] : node;
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    env: { ...responseCheckEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const counts = new Map<string, number>();
  const listeners = new Set<(entry: Record<string, unknown>) => void>();
  let ended: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      resolve(ended);
    }),
  );

  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
    let entry: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object') entry = parsed as Record<string, unknown>;
    } catch {
      // a plain line (a crash trace, the admin password notice)
    }
    if (!entry || typeof entry.msg !== 'string') return;
    counts.set(entry.msg, (counts.get(entry.msg) ?? 0) + 1);
    for (const l of [...listeners]) l(entry);
  };
  const reader = () => {
    let rest = '';
    return (buf: Buffer) => {
      const parts = (rest + buf.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    };
  };
  child.stdout?.on('data', reader());
  child.stderr?.on('data', reader());

  const tail = (n = 40) => lines.slice(-n).join('\n');
  const seen: Record<string, unknown>[] = [];
  listeners.add((e) => {
    seen.push(e);
    if (seen.length > KEEP_LINES) seen.splice(0, seen.length - KEEP_LINES);
  });

  return {
    label,
    service,
    child,
    env,
    exited,
    alive: () => ended === undefined,
    tail,
    countLog: (msg) => counts.get(msg) ?? 0,
    waitForLog(msg, timeoutMs = 60_000) {
      const earlier = seen.find((e) => e.msg === msg);
      if (earlier) return Promise.resolve(earlier);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`${label}: no "${msg}" log line within ${timeoutMs} ms; last output:\n${tail()}`));
        }, timeoutMs);
        const listener = (e: Record<string, unknown>) => {
          if (e.msg !== msg) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(e);
        };
        listeners.add(listener);
        void exited.then((x) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`${label} exited (${x.code ?? x.signal}) before "${msg}"; last output:\n${tail()}`));
        });
      });
    },
    async kill9() {
      if (ended) return ended;
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      if (ended) return ended;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
