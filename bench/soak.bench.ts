// Soak: 50 clients, each uploading a small batch, polling its progress until it ends, and starting again, for
// SOAK_SECONDS (default 300) — against the all-in-one process as `pnpm start` runs it with nothing configured
// (embedded database, in-process queue, local disk), then against the four services as separate processes, run as
// deployed (bundles, bench/support/bundles.ts), on PostgreSQL, RabbitMQ and S3 protocol. Reports throughput, request
// latency, errors (target 0) and each process's resident memory at the start of the measured load and at its end
// (target: growth at most 10 %).
//
// Memory is read twice over. RSS as it is, every 15 s: under load V8 lets garbage pile up between major collections,
// which alone swings a worker's RSS by 50-100 MB (RSS minus V8's committed heap stays within a few MB meanwhile), so
// two such readings tell nothing about a leak. And RSS and heap after a full garbage collection, at the end of the
// warm-up, midway and at the end (bench/support/memory-probe.cjs, preloaded into every process): what the process
// retains. The target is judged on those.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createTestDatabase, freePort } from '@pixmill/db/testing';
import { startTestS3 } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix } from '@pixmill/queue/testing';
import { startDeployed } from './support/bundles';
import { login } from './support/login';
import { startService, waitForHttp, type ServiceProcess } from './support/processes';
import { benchServiceEnv } from './support/service-env';
import { readData } from '@pixmill/gateway/testing';

const CLIENTS = 50;
const IMAGES_PER_BATCH = 3;
const POLL_MS = 1000;
/**
 * Memory is compared from the end of this warm-up to the end of the load. Heap after GC still grows by 1-2 MB
 * (compiled code, pools, prepared queries) in the first minute of load, then stays flat.
 */
const WARMUP_FRACTION = 0.2;
const ADMIN_PASSWORD = 'soak-admin-password';

// A benchmark parameter, not a pixmill setting: how long each of the two runs lasts.
const soakSeconds = () => {
  const v = Number(process.env.SOAK_SECONDS ?? 300);
  if (!Number.isFinite(v) || v < 10) throw new Error('SOAK_SECONDS must be a number of seconds, at least 10');
  return v;
};

type Sample = { kind: 'upload' | 'poll'; ms: number; ok: boolean };

type RunStats = {
  seconds: number;
  batches: number;
  images: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  latency: { all: number[]; upload: number[]; poll: number[] };
};

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};

const MEMORY_PROBE = path.join(__dirname, 'support', 'memory-probe.cjs');

/** Environment that preloads the memory probe into a service, its readings going to `file`. */
const probeEnv = (file: string): Record<string, string> => ({
  // Replaces startService's NODE_OPTIONS, so its --openssl-legacy-provider is repeated here.
  NODE_OPTIONS: `--openssl-legacy-provider --expose-gc --require ${MEMORY_PROBE}`,
  BENCH_MEMORY_FILE: file,
});

/** Memory after a full garbage collection, in MB: RSS, V8's committed heap and the live objects in it. */
type Retained = { rss: number; heapTotal: number; heapUsed: number };

const readingsIn = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

/** Asks the probe in `p` for a reading (SIGUSR2) and waits for the line it appends to `file`. */
async function retainedMemory(p: ServiceProcess, file: string): Promise<Retained> {
  const before = readingsIn(file).length;
  p.child.kill('SIGUSR2');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lines = readingsIn(file);
    if (lines.length > before) {
      const r = JSON.parse(lines[lines.length - 1]!) as Retained;
      return { rss: Math.round(r.rss), heapTotal: Math.round(r.heapTotal), heapUsed: r.heapUsed };
    }
    if (Date.now() > deadline) throw new Error(`${p.name}: no memory reading in ${file} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function smallImages(): Promise<Buffer[]> {
  return Promise.all(
    [
      [320, 240],
      [240, 320],
      [200, 200],
    ].map(([w, h]) =>
      sharp({
        create: {
          width: w!,
          height: h!,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 40 },
        },
      })
        .jpeg()
        .toBuffer(),
    ),
  );
}

/** One user per client (each has its own API budget, as separate customers would). */
async function clientUsers(base: string): Promise<Record<string, string>[]> {
  const admin = await login(base, 'admin', ADMIN_PASSWORD);
  return Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const username = `soak-${i}`;
      const password = `soak-password-${i}`;
      const res = await fetch(`${base}/api/v1/users`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 201 && res.status !== 409) throw new Error(`create ${username}: ${res.status}`);
      return login(base, username, password);
    }),
  );
}

/**
 * Runs the clients until `deadline`; a batch started before it is followed to its end. `onWarm` is called once,
 * when the warm-up is over (memory is read there).
 */
async function load(
  base: string,
  users: Record<string, string>[],
  images: Buffer[],
  seconds: number,
  onWarm: () => void,
): Promise<RunStats> {
  const samples: Sample[] = [];
  const errorKinds: Record<string, number> = {};
  const error = (kind: string) => (errorKinds[kind] = (errorKinds[kind] ?? 0) + 1);
  let batches = 0;
  let imagesDone = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const warmAt = started + seconds * 1000 * WARMUP_FRACTION;
  let warmed = false;
  const warmTimer = setInterval(() => {
    if (!warmed && performance.now() >= warmAt) {
      warmed = true;
      onWarm();
    }
  }, 200);

  const timed = async (kind: Sample['kind'], url: string, init: RequestInit): Promise<Response | undefined> => {
    const t0 = performance.now();
    try {
      const res = await fetch(url, init);
      const ok = res.status >= 200 && res.status < 300;
      samples.push({ kind, ms: performance.now() - t0, ok });
      if (!ok) error(`${kind} http ${res.status}`);
      return res;
    } catch (err) {
      samples.push({ kind, ms: performance.now() - t0, ok: false });
      error(`${kind} ${(err as Error).message}`);
      return undefined;
    }
  };

  await Promise.all(
    users.map(async (auth, client) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const form = new FormData();
        images.forEach((img, i) =>
          form.append('files[]', new Blob([new Uint8Array(img)], { type: 'image/jpeg' }), `c${client}-${n}-${i}.jpg`),
        );
        const up = await timed('upload', `${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
        if (!up || up.status !== 201) {
          await up?.arrayBuffer();
          await new Promise((r) => setTimeout(r, POLL_MS));
          continue;
        }
        const { batch_id } = (await readData(up)) as { batch_id: string };
        for (;;) {
          await new Promise((r) => setTimeout(r, POLL_MS));
          const res = await timed('poll', `${base}/api/v1/batches/${batch_id}/progress`, { headers: auth });
          if (!res || res.status !== 200) {
            await res?.arrayBuffer();
            continue;
          }
          const p = (await readData(res)) as { status: string; successful_count: number; failed_count: number };
          if (!['completed', 'failed', 'cancelled'].includes(p.status)) continue;
          batches++;
          imagesDone += p.successful_count + p.failed_count;
          if (p.status !== 'completed' || p.failed_count > 0) error(`batch ${p.status} with ${p.failed_count} failed`);
          break;
        }
      }
    }),
  );
  clearInterval(warmTimer);
  const sorted = (kind?: Sample['kind']) =>
    samples
      .filter((s) => !kind || s.kind === kind)
      .map((s) => s.ms)
      .sort((x, y) => x - y);
  return {
    seconds: (performance.now() - started) / 1000,
    batches,
    images: imagesDone,
    requests: samples.length,
    errors: Object.values(errorKinds).reduce((s, n) => s + n, 0),
    errorKinds,
    latency: { all: sorted(), upload: sorted('upload'), poll: sorted('poll') },
  };
}

type Memory = Record<string, { idle: number; start: Retained; mid: Retained; end: Retained; timeline: number[] }>;
/** RSS is also sampled this often during the load, so a plateau can be told from a steady climb. */
const RSS_SAMPLE_MS = 15_000;

function report(mode: string, stats: RunStats, memory: Memory): Record<string, unknown> {
  const l = stats.latency;
  const out: Record<string, unknown> = {
    [`${mode}.seconds`]: round(stats.seconds, 1),
    [`${mode}.batches_completed`]: stats.batches,
    [`${mode}.images_per_second`]: round(stats.images / stats.seconds),
    [`${mode}.requests_per_second`]: round(stats.requests / stats.seconds),
    [`${mode}.latency_p50_ms`]: round(pct(l.all, 50), 1),
    [`${mode}.latency_p99_ms`]: round(pct(l.all, 99), 1),
    [`${mode}.upload_p50_ms`]: round(pct(l.upload, 50), 1),
    [`${mode}.upload_p99_ms`]: round(pct(l.upload, 99), 1),
    [`${mode}.poll_p50_ms`]: round(pct(l.poll, 50), 1),
    [`${mode}.poll_p99_ms`]: round(pct(l.poll, 99), 1),
    [`${mode}.errors`]: stats.errors,
  };
  if (stats.errors) out[`${mode}.error_kinds`] = JSON.stringify(stats.errorKinds);
  const growth = (from: number, to: number) => round(((to - from) / from) * 100, 1);
  for (const [name, m] of Object.entries(memory)) {
    const k = `${mode}.${name}`;
    out[`${k}.rss_idle_mb`] = m.idle;
    // After a full GC: what the process retains (the target is judged on these).
    out[`${k}.rss_start_mb`] = m.start.rss;
    out[`${k}.rss_end_mb`] = m.end.rss;
    out[`${k}.rss_growth_pct`] = growth(m.start.rss, m.end.rss);
    out[`${k}.rss_growth_second_half_pct`] = growth(m.mid.rss, m.end.rss);
    // Where RSS went: live objects (a JavaScript leak grows this), V8's committed heap around them (its sizing, which
    // follows allocation rate and GC speed), and the rest outside V8 (libvips, malloc, buffers, code).
    out[`${k}.heap_start_mb`] = m.start.heapUsed;
    out[`${k}.heap_end_mb`] = m.end.heapUsed;
    out[`${k}.heap_growth_pct`] = growth(m.start.heapUsed, m.end.heapUsed);
    out[`${k}.heap_committed_start_mb`] = m.start.heapTotal;
    out[`${k}.heap_committed_end_mb`] = m.end.heapTotal;
    out[`${k}.outside_heap_start_mb`] = m.start.rss - m.start.heapTotal;
    out[`${k}.outside_heap_end_mb`] = m.end.rss - m.end.heapTotal;
    out[`${k}.outside_heap_growth_pct`] = growth(m.start.rss - m.start.heapTotal, m.end.rss - m.end.heapTotal);
    // RSS as it is, garbage included: the mean of the last quarter of the post-warm-up samples against the first.
    const warm = m.timeline.slice(Math.ceil((m.timeline.length - 1) * WARMUP_FRACTION) + 1);
    if (warm.length > 0) {
      const q = Math.max(1, Math.floor(warm.length / 4));
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
      out[`${k}.rss_raw_trend_pct`] = growth(mean(warm.slice(0, q)), mean(warm.slice(-q)));
      out[`${k}.rss_raw_min_mb`] = Math.min(...warm);
      out[`${k}.rss_raw_max_mb`] = Math.max(...warm);
    }
    out[`${k}.rss_raw_every_15s_mb`] = m.timeline.join(' ');
  }
  return out;
}

/** Error lines (pino level 50 and up) a process logs, so an error the clients saw can be traced to its cause. */
function collectErrors(p: ServiceProcess): string[] {
  const found: string[] = [];
  let rest = '';
  p.child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 50)
          found.push(`${p.name}: ${entry.msg ?? ''} ${entry.err?.message ?? ''}`.slice(0, 300));
      } catch {
        // not a log line
      }
    }
  });
  return found;
}

/**
 * Reads every process's memory when idle, then after a full GC at the end of the warm-up, midway and at the end of
 * the load (each process's probe writes to `${memoryDir}/<name>.jsonl`), then stops them.
 */
async function measure(
  mode: string,
  base: string,
  processes: ServiceProcess[],
  seconds: number,
  memoryDir: string,
): Promise<Record<string, unknown>> {
  const logged = processes.map(collectErrors);
  await waitForHttp(`${base}/healthz`, 120_000);
  const users = await clientUsers(base);
  const images = await smallImages();
  const retainedAll = () => {
    const readings = Promise.all(processes.map((p) => retainedMemory(p, path.join(memoryDir, `${p.name}.jsonl`))));
    // Awaited once the load is over; a failure before then must not count as unhandled.
    readings.catch(() => undefined);
    return readings;
  };
  const timelines: Record<string, number[]> = {};
  const idle: Record<string, number> = {};
  for (const p of processes) {
    idle[p.name] = rssMb(p.child.pid!);
    timelines[p.name] = [];
  }
  console.log(`soak ${mode}: ${CLIENTS} clients for ${seconds} s`);
  const sample = () => {
    for (const p of processes) timelines[p.name]!.push(rssMb(p.child.pid!));
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  let mid: Promise<Retained[]> | undefined;
  const midway = setTimeout(() => (mid = retainedAll()), (seconds * 1000) / 2);
  sample();
  let start: Promise<Retained[]> | undefined;
  const stats = await load(base, users, images, seconds, () => (start = retainedAll()));
  clearInterval(sampler);
  clearTimeout(midway);
  const end = await retainedAll();
  const [atStart, atMid] = await Promise.all([start, mid]);
  if (!atStart || !atMid) throw new Error('the load ended before its warm-up or midway memory reading');
  const memory: Memory = {};
  processes.forEach((p, i) => {
    memory[p.name] = {
      idle: idle[p.name]!,
      start: atStart[i]!,
      mid: atMid[i]!,
      end: end[i]!,
      timeline: timelines[p.name]!,
    };
  });
  for (const p of processes) {
    const code = await p.stop();
    if (code !== 0) throw new Error(`${p.name} exited with ${code}`);
  }
  const out = report(mode, stats, memory);
  const errors = logged.flat();
  out[`${mode}.server_error_logs`] = errors.length;
  if (errors.length) out[`${mode}.server_error_log_sample`] = [...new Set(errors)].slice(0, 3).join(' | ');
  return out;
}

/** `pnpm start` with nothing configured: one process, embedded everything, in a fresh DATA_DIR. */
async function allInOne(seconds: number): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pixmill-soak-'));
  const port = await freePort();
  const proc = startService('pixmill', 'services/standalone/src/main.ts', {
    PORT: String(port),
    DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    ...probeEnv(path.join(dataDir, 'pixmill.jsonl')),
  });
  try {
    return await measure('all_in_one', `http://127.0.0.1:${port}`, [proc], seconds, dataDir);
  } finally {
    await proc.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The four services as their own processes on PostgreSQL, RabbitMQ and S3 protocol (s3rver in this process). */
async function separate(seconds: number): Promise<Record<string, unknown>> {
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const port = await freePort();
  const prefix = `soak-${randomBytes(4).toString('hex')}`;
  const env = benchServiceEnv({ databaseUrl: db.url, s3, queuePrefix: prefix, adminPassword: ADMIN_PASSWORD });
  const memoryDir = await mkdtemp(path.join(tmpdir(), 'pixmill-soak-memory-'));
  const probe = (name: string) => probeEnv(path.join(memoryDir, `${name}.jsonl`));
  const procs: ServiceProcess[] = [];
  try {
    procs.push(startDeployed('gateway', { ...env, ...probe('gateway'), PORT: String(port) }));
    for (const name of ['ingest', 'resize', 'notifier'] as const)
      procs.push(
        startDeployed(name, {
          ...env,
          ...probe(name),
          HEALTH_PORT: String(await freePort()),
        }),
      );
    return await measure('separate', `http://127.0.0.1:${port}`, procs, seconds, memoryDir);
  } finally {
    for (const p of procs) await p.stop();
    await rm(memoryDir, { recursive: true, force: true });
    await deleteQueuesWithPrefix(prefix).catch(() => undefined);
    await s3.close();
    await db.drop();
  }
}

export async function runSoakBench(): Promise<Record<string, unknown>> {
  const seconds = soakSeconds();
  const figures: Record<string, unknown> = {
    clients: CLIENTS,
    images_per_batch: IMAGES_PER_BATCH,
    seconds_per_run: seconds,
  };
  Object.assign(figures, await allInOne(seconds));
  Object.assign(figures, await separate(seconds));
  figures.target_errors = 0;
  figures.target_rss_growth_pct = 10;
  figures.rss_note =
    'rss_start/mid/end: after a full garbage collection (bench/support/memory-probe.cjs), at the end of the warm-up (first 20 %), midway and at the end of the load; the 10 % target is on these. heap_*: live heap after that collection; heap_committed_*: V8 heap committed; outside_heap_*: RSS minus committed heap. rss_raw_*: RSS as it is every 15 s, garbage included; rss_raw_trend: mean of the last quarter of the samples after warm-up against the first quarter';
  return figures;
}
