// CPU time of processes, from /proc: where a benchmark's time goes, per pixmill service and per server it uses.
import { readdirSync, readFileSync } from 'node:fs';

type Stat = { comm: string; ppid: number; own: number; children: number };

function stat(pid: number | string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are plain.
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = (i: number) => Number(f[i]) / 100;
    return { comm, ppid: Number(f[1]), own: ticks(11) + ticks(12), children: ticks(13) + ticks(14) };
  } catch {
    return undefined; // gone
  }
}

/** CPU seconds a process has used (user + system). */
export function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? NaN : (stat(pid)?.own ?? NaN);
}

/**
 * CPU seconds used by every process of a server, by command name: the live ones, plus what their parent has reaped
 * from ended ones (PostgreSQL ends a backend per closed connection). Machine-wide: any other client of the same
 * server is counted too, so read it on an otherwise quiet machine.
 */
export function serverCpuSeconds(comm: 'postgres' | 'beam.smp'): number {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => ({ pid: Number(pid), s: stat(pid) }))
    .filter((p): p is { pid: number; s: Stat } => p.s?.comm === comm);
  const pids = new Set(procs.map((p) => p.pid));
  return procs.reduce((sum, p) => sum + p.s.own + (pids.has(p.s.ppid) ? 0 : p.s.children), 0);
}
