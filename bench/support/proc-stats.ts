// CPU time of processes, from /proc: where a benchmark's time goes, per pixmill service and per server it uses.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

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

const pidsOf = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** `pid` and every live process below it. */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const p of pidsOf()) {
    const s = stat(p);
    if (s) parent.set(p, s.ppid);
  }
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p, hops = 0; q !== undefined && hops < 64; q = parent.get(q), hops++)
      if (q === pid) return true;
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

/**
 * CPU seconds of a process and everything it started: each live one's own, plus what each has reaped from ended
 * children (an embedded PostgreSQL's backends end with their connections).
 */
export function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  return processTree(pid).reduce((sum, p) => {
    const s = stat(p);
    return s ? sum + s.own + s.children : sum;
  }, 0);
}

/**
 * CPU seconds of one process by thread: the main (JavaScript) thread, libvips' workers (sharp's pixel work), and the
 * rest (libuv's thread pool — where sharp's calls, file I/O, crypto and DNS run — V8's compiler and GC helpers,
 * worker threads). Threads that ended are not counted; the process total (cpuSeconds) has them.
 */
export function threadCpuSeconds(pid: number): { main: number; libvips: number; other: number } {
  const out = { main: 0, libvips: 0, other: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = stat(`${pid}/task/${tid}`);
    if (!s) continue;
    if (Number(tid) === pid) out.main += s.own;
    else if (s.comm.startsWith('libvips')) out.libvips += s.own;
    else out.other += s.own;
  }
  return out;
}

const statusKib = (pid: number, field: string): number => {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
};

/** Resident memory now, in MiB. */
export const rssMb = (pid: number): number => statusKib(pid, 'VmRSS') / 1024;

/** The kernel's high-water mark of resident memory since start or the last resetPeakRss, in MiB. */
export const peakRssMb = (pid: number): number => statusKib(pid, 'VmHWM') / 1024;

/** Starts the high-water mark afresh (proc(5), clear_refs), so a peak read later belongs to what came after. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Proportional resident memory of a process tree, in MiB: shared pages divided among the processes sharing them, so a
 * PostgreSQL's shared buffers count once across its backends (summed RSS would count them in every one).
 */
export function treePssMb(pid: number): number {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kib / 1024;
}

/** CPU seconds of each live thread of a process, by thread id (with its name). */
export function perThreadCpuSeconds(pid: number): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = stat(`${pid}/task/${tid}`);
    if (s) out.set(Number(tid), { comm: s.comm, cpu: s.own });
  }
  return out;
}
