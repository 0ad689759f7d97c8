// Image batches end to end against plain sharp, in the same run: 52 real photographs uploaded in one multipart
// request, from the POST to every output stored and recorded (the batch's completed_at), against plain sharp doing
// the same recipe with the same parallelism (2 images in flight on this 2-core machine; bench/support/bench-recipes.ts)
// in a process of its own. For each recipe users send and each way pixmill runs:
// - `embedded`: `pnpm start` with nothing configured (embedded database, in-process queue, local disk);
// - `external`: the same process with DATABASE_URL and AMQP_URL (this machine's PostgreSQL and RabbitMQ), local disk;
// - `separate`: gateway and resize as their own processes, as deployed (bundles), PostgreSQL, RabbitMQ, S3 protocol
//   (s3rver in a process of its own).
// Each pipeline run directly follows its baseline, so both see much the same machine. Also: CPU per image by process
// and thread, and each process's resident memory idle, at start-up and while processing, beside plain sharp's peak.
//
// Bench parameters (not pixmill settings): IMAGE_BENCH_CONFIGS and IMAGE_BENCH_RECIPES (comma-separated subsets),
// IMAGE_BENCH_ROUNDS (runs of each pair, default 1; figures of the best ratio are kept, every ratio is listed),
// IMAGE_BENCH_PIXMILL_ENV (`NAME=value,...` added to every pixmill process, e.g. UV_THREADPOOL_SIZE=8, for trying
// what the runtime's knobs change; plain sharp does not get them).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import sharp from 'sharp';
import { createTestDatabase, freePort, type TestDatabase } from '@pixmill/db/testing';
import { startS3rverProcess } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix } from '@pixmill/queue/testing';
import { BENCH_RECIPES, benchRecipeNames, type BenchRecipeName } from './support/bench-recipes';
import { startDeployed } from './support/bundles';
import { login } from './support/login';
import { findPhotos } from '@pixmill/imaging/testing';
import {
  cpuSeconds,
  peakRssMb,
  perThreadCpuSeconds,
  processTree,
  resetPeakRss,
  rssMb,
  serverCpuSeconds,
  threadCpuSeconds,
  treeCpuSeconds,
  treePssMb,
} from './support/proc-stats';
import { ROOT, startService, waitForHttp, type ServiceProcess } from './support/processes';
import { benchServiceEnv } from './support/service-env';
import { dataIn, readData } from '@pixmill/gateway/testing';

const IMAGES = 52;
const CONCURRENCY = 2; // one image per core: more adds nothing but memory (TOOLCHAIN.md)
const MIN_MEGAPIXELS = 1.4;
const MAX_MEGAPIXELS = 20;
const POLL_MS = 250;
const ADMIN_PASSWORD = 'bench-admin-password';
// The kernel's accounting of ended threads and of a tree's children lags a little; readings settle within this.
const SETTLE_MS = 1000;

type ConfigName = 'embedded' | 'external' | 'separate';
const CONFIGS: ConfigName[] = ['embedded', 'external', 'separate'];

type Photo = { name: string; file: string; data: Buffer; megapixels: number };

/** The first IMAGES distinct photographs (by content: the wallpaper packages ship one file under many names). */
export async function pickPhotos(): Promise<Photo[]> {
  const seen = new Set<string>();
  const out: Photo[] = [];
  for (const file of findPhotos(IMAGES)) {
    const data = readFileSync(file);
    const digest = createHash('sha1').update(data).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    const meta = await sharp(data)
      .metadata()
      .catch(() => null);
    if (!meta?.width || !meta.height) continue;
    const megapixels = (meta.width * meta.height) / 1e6;
    if (megapixels < MIN_MEGAPIXELS || megapixels > MAX_MEGAPIXELS) continue;
    out.push({
      name: path.basename(path.dirname(path.dirname(file))) + '-' + path.basename(file),
      file,
      data,
      megapixels,
    });
    if (out.length === IMAGES) break;
  }
  if (out.length < IMAGES)
    throw new Error(`only ${out.length} distinct photographs of ${MIN_MEGAPIXELS}-${MAX_MEGAPIXELS} Mpx`);
  return out;
}

// ---- the baseline: plain sharp in a process of its own ----

let plainEntry: string | undefined;

async function plainSharpEntry(): Promise<string> {
  if (plainEntry) return plainEntry;
  plainEntry = path.join(ROOT, 'bench/dist/plain-sharp.cjs');
  await build({
    entryPoints: [path.join(__dirname, 'support/plain-sharp.main.ts')],
    outfile: plainEntry,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['sharp'],
    logLevel: 'warning',
  });
  return plainEntry;
}

type PlainRun = {
  seconds: number;
  cpuSeconds: number;
  outputBytes: number;
  encodes: number;
  idleRssMb: number;
  peakRssMb: number;
};

async function plainSharp(photos: Photo[], recipe: BenchRecipeName, env: Record<string, string>): Promise<PlainRun> {
  const entry = await plainSharpEntry();
  const args = JSON.stringify({ files: photos.map((p) => p.file), recipe, concurrency: CONCURRENCY, warmup: 4 });
  const child = spawn(process.execPath, [entry, args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`plain sharp (${recipe}) exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as PlainRun;
}

// ---- pixmill, three ways ----

type Deployment = {
  config: ConfigName;
  base: string;
  processes: ServiceProcess[];
  /** Where each process's GC probe writes (bench/support/gc-probe.cjs), by process name. */
  gcFiles: Record<string, string>;
  /** The environment plain sharp runs with beside it (the same malloc settings as pixmill's processes). */
  plainEnv: Record<string, string>;
  s3Pid?: number;
  database?: TestDatabase;
  stop(): Promise<void>;
};

async function startEmbedded(): Promise<Deployment> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pixmill-image-bench-'));
  const port = await freePort();
  // As `pnpm start` runs it: the TypeScript entry through tsx, nothing configured but where and who.
  const gcFile = path.join(dataDir, 'gc.jsonl');
  // pnpm start's environment (package.json) is MALLOC_ARENA_MAX=2.
  const proc = startService('pixmill', 'services/standalone/src/main.ts', {
    PORT: String(port),
    DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
    ...gcProbeEnv(gcFile),
  });
  return {
    config: 'embedded',
    base: `http://127.0.0.1:${port}`,
    processes: [proc],
    gcFiles: { pixmill: gcFile },
    plainEnv: { MALLOC_ARENA_MAX: '2' },
    stop: async () => {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startExternal(): Promise<Deployment> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pixmill-image-bench-'));
  const database = await createTestDatabase();
  const port = await freePort();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const gcFile = path.join(dataDir, 'gc.jsonl');
  const proc = startService('pixmill', 'services/standalone/src/main.ts', {
    PORT: String(port),
    DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
    ...gcProbeEnv(gcFile),
    DATABASE_URL: database.url,
    AMQP_URL: process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    QUEUE_PREFIX: prefix,
  });
  return {
    config: 'external',
    base: `http://127.0.0.1:${port}`,
    processes: [proc],
    gcFiles: { pixmill: gcFile },
    plainEnv: { MALLOC_ARENA_MAX: '2' },
    database,
    stop: async () => {
      await proc.stop();
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startSeparate(): Promise<Deployment> {
  const database = await createTestDatabase();
  const s3 = await startS3rverProcess();
  const port = await freePort();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const env = {
    ...benchServiceEnv({ databaseUrl: database.url, s3, queuePrefix: prefix, adminPassword: ADMIN_PASSWORD }),
  };
  const gcDir = await mkdtemp(path.join(tmpdir(), 'pixmill-image-bench-gc-'));
  const gcFiles = { gateway: path.join(gcDir, 'gateway.jsonl'), resize: path.join(gcDir, 'resize.jsonl') };
  const gateway = startDeployed('gateway', { ...env, ...gcProbeEnv(gcFiles.gateway), PORT: String(port) });
  const resize = startDeployed('resize', {
    ...env,
    ...gcProbeEnv(gcFiles.resize),
    HEALTH_PORT: String(await freePort()),
  });
  return {
    config: 'separate',
    base: `http://127.0.0.1:${port}`,
    processes: [gateway, resize],
    gcFiles,
    // The images set it (Dockerfile ENV), so the baseline gets it too.
    plainEnv: { MALLOC_ARENA_MAX: '2' },
    s3Pid: s3.pid,
    database,
    stop: async () => {
      await gateway.stop();
      await resize.stop();
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await s3.close();
      await database.drop();
      await rm(gcDir, { recursive: true, force: true });
    },
  };
}

const GC_PROBE = path.join(__dirname, 'support', 'gc-probe.cjs');

/** What preloads the GC probe into a process (NODE_OPTIONS replaces startService's, so its flag is repeated). */
const gcProbeEnv = (file: string): Record<string, string> => ({
  NODE_OPTIONS: `--openssl-legacy-provider --require ${GC_PROBE}`,
  BENCH_GC_FILE: file,
  ...triedEnv(),
});

/** IMAGE_BENCH_PIXMILL_ENV, parsed. */
function triedEnv(): Record<string, string> {
  const v = process.env.IMAGE_BENCH_PIXMILL_ENV;
  if (!v) return {};
  return Object.fromEntries(
    v.split(',').map((pair) => {
      const [k, ...rest] = pair.split('=');
      if (!k || rest.length === 0) throw new Error(`IMAGE_BENCH_PIXMILL_ENV: "${pair}" is not NAME=value`);
      return [k.trim(), rest.join('=')];
    }),
  );
}

type GcTotals = { ms: number; count: number; minor?: { ms: number }; major?: { ms: number } };

/** The GC totals of a process so far: asks its probe (SIGUSR2) and waits for the line it appends. */
async function gcTotals(p: ServiceProcess, file: string): Promise<GcTotals> {
  const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const before = lines().length;
  p.child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (lines().length <= before) {
    if (Date.now() > deadline) throw new Error(`${p.name}: no GC reading in ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(lines().pop()!) as GcTotals;
}

const starters: Record<ConfigName, () => Promise<Deployment>> = {
  embedded: startEmbedded,
  external: startExternal,
  separate: startSeparate,
};

// ---- one batch ----

const BOUNDARY = `----pixmill-bench-${randomBytes(8).toString('hex')}`;

/** The whole multipart body, built before the clock starts: the client's own cost is not pixmill's. */
export function multipartBody(photos: Photo[], recipe: unknown): Buffer {
  const parts: Buffer[] = [];
  const field = (name: string, value: string) =>
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'),
    );
  if (recipe !== undefined) field('recipe', JSON.stringify(recipe));
  for (const p of photos) {
    const type = p.file.endsWith('.png') ? 'image/png' : p.file.endsWith('.webp') ? 'image/webp' : 'image/jpeg';
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files[]"; filename="${p.name}"\r\n` +
          `Content-Type: ${type}\r\n\r\n`,
        'utf8',
      ),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

export function post(
  base: string,
  auth: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  const url = new URL('/api/v1/batches', base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': String(body.length),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type CpuSnapshot = {
  processes: { total: number; tree: number; main: number }[];
  postgres: number;
  rabbitmq: number;
  s3: number;
  bench: number;
};

function cpuSnapshot(d: Deployment): CpuSnapshot {
  const bench = process.cpuUsage();
  return {
    processes: d.processes.map((p) => {
      const pid = p.child.pid!;
      return { total: cpuSeconds(pid), tree: treeCpuSeconds(pid), main: threadCpuSeconds(pid).main };
    }),
    postgres: d.config === 'embedded' ? 0 : serverCpuSeconds('postgres'),
    rabbitmq: d.config === 'embedded' ? 0 : serverCpuSeconds('beam.smp'),
    s3: d.s3Pid === undefined ? 0 : cpuSeconds(d.s3Pid),
    bench: (bench.user + bench.system) / 1e6,
  };
}

type BatchRun = {
  seconds: number;
  uploadSeconds: number;
  /** From the POST to the first image claimed by a worker. */
  firstClaimSeconds: number;
  cpuMsPerImage: Record<string, number>;
  peakRssMb: Record<string, number>;
  treePeakPssMb: Record<string, number>;
};

async function runBatch(d: Deployment, auth: Record<string, string>, body: Buffer, images: number): Promise<BatchRun> {
  for (const p of d.processes) resetPeakRss(p.child.pid!);
  // A process with children of its own (an embedded database server) has no kernel high-water mark for them all.
  const trees = d.processes.filter((p) => processTree(p.child.pid!).length > 1);
  const treePeak: Record<string, number> = {};
  const sampleTrees = () => {
    for (const p of trees) treePeak[p.name] = Math.max(treePeak[p.name] ?? 0, treePssMb(p.child.pid!));
  };
  // Once a second: reading every process's smaps costs the bench CPU that pixmill would otherwise have.
  const sampler = trees.length ? setInterval(sampleTrees, 1000) : undefined;
  const gcBefore = await Promise.all(d.processes.map((p) => gcTotals(p, d.gcFiles[p.name]!)));
  const before = cpuSnapshot(d);
  const threadsBefore = d.processes.map((p) => perThreadCpuSeconds(p.child.pid!));
  const started = Date.now();
  const res = await post(d.base, auth, body);
  const uploadSeconds = (Date.now() - started) / 1000;
  // No image is taken before the upload's answer (yet): what pixmill spends until then is the upload's.
  const uploaded = cpuSnapshot(d);
  if (res.status !== 201) throw new Error(`upload (${d.config}): ${res.status} ${res.text}`);
  const { batch_id } = dataIn<{ batch_id: string }>(JSON.parse(res.text));
  let batch: Record<string, unknown> = {};
  while (!['completed', 'failed', 'cancelled'].includes(String(batch.status))) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const r = await fetch(`${d.base}/api/v1/batches/${batch_id}/progress`, { headers: auth });
    batch = (await readData(r)) as Record<string, unknown>;
  }
  if (batch.successful_count !== images) throw new Error(`batch (${d.config}): ${JSON.stringify(batch)}`);
  if (sampler) clearInterval(sampler);
  sampleTrees();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = cpuSnapshot(d);
  const gcAfter = await Promise.all(d.processes.map((p) => gcTotals(p, d.gcFiles[p.name]!)));
  if (process.env.IMAGE_BENCH_THREADS) {
    d.processes.forEach((p, i) => {
      const rows = [...perThreadCpuSeconds(p.child.pid!)]
        .map(([tid, t]) => ({ tid, comm: t.comm, ms: (t.cpu - (threadsBefore[i]!.get(tid)?.cpu ?? 0)) * 1000 }))
        .filter((t) => t.ms > 0)
        .sort((a, b) => b.ms - a.ms);
      console.log(
        `  ${p.name} threads (ms per image): ${rows.map((t) => `${t.tid === p.child.pid ? 'main' : t.comm}#${t.tid}=${round(t.ms / images, 1)}`).join(' ')}`,
      );
    });
  }
  const completedAt = Date.parse(String(batch.completed_at));
  if (process.env.BENCH_PROF) {
    // Where this batch sits in each process's CPU profile (seconds from its start), to read that window alone.
    for (const p of d.processes)
      console.log(
        `  profile window ${p.name}: ${round((started - p.startedAt) / 1000)}-${round((completedAt - p.startedAt) / 1000)} s`,
      );
  }
  const startedAt = Date.parse(String(batch.started_at));
  const perImage = (s: number) => round((s * 1000) / images, 1);
  const cpu: Record<string, number> = {};
  d.processes.forEach((p, i) => {
    const a = after.processes[i]!;
    const b = before.processes[i]!;
    const u = uploaded.processes[i]!;
    cpu[`${p.name}`] = perImage(a.total - b.total);
    cpu[`${p.name}_until_upload_answered`] = perImage(u.total - b.total);
    cpu[`${p.name}_main_thread`] = perImage(a.main - b.main);
    // Off the main thread: libuv's pool (sharp's calls, file I/O, crypto), libvips' workers, V8's GC and compiler
    // helpers. libvips lets idle workers end, and an ended thread's time is in the total only, so this is the rest.
    cpu[`${p.name}_other_threads`] = perImage(a.total - a.main - (b.total - b.main));
    // Pauses of the main thread for garbage collection (V8's helper threads' share is in other_threads).
    cpu[`${p.name}_main_thread_gc_pauses`] = round((gcAfter[i]!.ms - gcBefore[i]!.ms) / images, 1);
    cpu[`${p.name}_main_thread_gc_pauses_minor`] = round(
      ((gcAfter[i]!.minor?.ms ?? 0) - (gcBefore[i]!.minor?.ms ?? 0)) / images,
      1,
    );
    if (a.tree - a.total > 0.01 || b.tree - b.total > 0.01)
      cpu[`${p.name}_child_processes`] = perImage(a.tree - a.total - (b.tree - b.total));
  });
  if (d.config !== 'embedded') {
    cpu.postgres_machine_wide = perImage(after.postgres - before.postgres);
    cpu.rabbitmq_machine_wide = perImage(after.rabbitmq - before.rabbitmq);
  }
  if (d.s3Pid !== undefined) cpu.s3rver = perImage(after.s3 - before.s3);
  cpu.bench_client = perImage(after.bench - before.bench);
  return {
    seconds: (completedAt - started) / 1000,
    uploadSeconds,
    firstClaimSeconds: (startedAt - started) / 1000,
    cpuMsPerImage: cpu,
    peakRssMb: Object.fromEntries(d.processes.map((p) => [p.name, Math.round(peakRssMb(p.child.pid!))])),
    treePeakPssMb: Object.fromEntries(Object.entries(treePeak).map(([k, v]) => [k, Math.round(v)])),
  };
}

// ---- the run ----

const listEnv = <T extends string>(name: string, all: readonly T[]): T[] => {
  const v = process.env[name];
  if (!v) return [...all];
  const wanted = v.split(',').map((s) => s.trim()) as T[];
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) throw new Error(`${name}: unknown ${unknown.join(', ')}; have ${all.join(', ')}`);
  return wanted;
};

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const load = () =>
  os
    .loadavg()
    .map((l) => round(l, 2))
    .join(' ');

export async function runImageBench(): Promise<Record<string, unknown>> {
  const configs = listEnv('IMAGE_BENCH_CONFIGS', CONFIGS);
  const recipes = listEnv('IMAGE_BENCH_RECIPES', benchRecipeNames);
  const rounds = Number(process.env.IMAGE_BENCH_ROUNDS ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('IMAGE_BENCH_ROUNDS must be a whole number >= 1');
  const photos = await pickPhotos();
  const figures: Record<string, unknown> = {
    images: photos.length,
    megapixels_min_max: `${round(Math.min(...photos.map((p) => p.megapixels)), 1)}-${round(Math.max(...photos.map((p) => p.megapixels)), 1)}`,
    total_megapixels: Math.round(photos.reduce((s, p) => s + p.megapixels, 0)),
    input_megabytes: round(photos.reduce((s, p) => s + p.data.length, 0) / 1e6, 1),
    concurrency: CONCURRENCY,
    rounds,
    load_at_start: load(),
    targets:
      'P1 ratio >= 0.9 (jpeg_1024, webp_1024), >= 0.85 (three_variants); embedded RSS idle <= 300 MB, peak <= plain sharp peak + 150 MiB',
  };
  for (const name of recipes) figures[`recipe.${name}`] = BENCH_RECIPES[name].what;
  const bodies = new Map(recipes.map((r) => [r, multipartBody(photos, BENCH_RECIPES[r].recipe)]));

  for (const config of configs) {
    console.log(`\nimage-batch: ${config}`);
    const d = await starters[config]();
    try {
      await waitForHttp(`${d.base}/healthz`, 120_000);
      const auth = await login(d.base, 'admin', ADMIN_PASSWORD);
      await new Promise((r) => setTimeout(r, 3000));
      for (const p of d.processes) {
        const pid = p.child.pid!;
        figures[`${config}.${p.name}.rss_idle_mb`] = Math.round(rssMb(pid));
        figures[`${config}.${p.name}.rss_startup_peak_mb`] = Math.round(peakRssMb(pid));
        if (processTree(pid).length > 1) figures[`${config}.${p.name}.tree_pss_idle_mb`] = Math.round(treePssMb(pid));
      }
      const peaks: Record<string, number> = {};
      for (const recipe of recipes) {
        const ratios: number[] = [];
        let best: { ratio: number; plain: PlainRun; run: BatchRun; load: string } | undefined;
        for (let r = 0; r < rounds; r++) {
          const plain = await plainSharp(photos, recipe, d.plainEnv);
          const run = await runBatch(d, auth, bodies.get(recipe)!, photos.length);
          const ratio = plain.seconds / run.seconds;
          ratios.push(round(ratio));
          console.log(
            `  ${recipe}: plain ${round(photos.length / plain.seconds)} img/s, pixmill ${round(photos.length / run.seconds)} img/s = ${round(ratio)}x (load ${load()})`,
          );
          if (!best || ratio > best.ratio) best = { ratio, plain, run, load: load() };
          for (const [k, v] of Object.entries(run.peakRssMb)) peaks[k] = Math.max(peaks[k] ?? 0, v);
          for (const [k, v] of Object.entries(run.treePeakPssMb))
            peaks[`${k}_tree_pss`] = Math.max(peaks[`${k}_tree_pss`] ?? 0, v);
          peaks.plain_sharp = Math.max(peaks.plain_sharp ?? 0, Math.round(plain.peakRssMb));
        }
        const { plain, run } = best!;
        const k = `${config}.${recipe}`;
        figures[`${k}.ratio`] = round(best!.ratio);
        if (rounds > 1) figures[`${k}.ratios`] = ratios.join(' ');
        figures[`${k}.plain_images_per_second`] = round(photos.length / plain.seconds);
        figures[`${k}.pixmill_images_per_second`] = round(photos.length / run.seconds);
        figures[`${k}.pixmill_seconds`] = round(run.seconds);
        figures[`${k}.upload_seconds`] = round(run.uploadSeconds);
        figures[`${k}.first_claim_seconds`] = round(run.firstClaimSeconds);
        figures[`${k}.load`] = best!.load;
        figures[`${k}.cpu_ms_per_image.plain_sharp`] = round((plain.cpuSeconds * 1000) / photos.length, 1);
        for (const [name, ms] of Object.entries(run.cpuMsPerImage)) figures[`${k}.cpu_ms_per_image.${name}`] = ms;
        figures[`${k}.plain_sharp_peak_rss_mb`] = Math.round(plain.peakRssMb);
        for (const [name, mb] of Object.entries(run.peakRssMb)) figures[`${k}.${name}.peak_rss_mb`] = mb;
        for (const [name, mb] of Object.entries(run.treePeakPssMb)) figures[`${k}.${name}.tree_peak_pss_mb`] = mb;
      }
      for (const [name, mb] of Object.entries(peaks)) figures[`${config}.peak_while_processing.${name}_mb`] = mb;
      for (const p of d.processes) figures[`${config}.${p.name}.rss_idle_after_mb`] = Math.round(rssMb(p.child.pid!));
    } finally {
      await d.stop();
    }
  }
  figures.load_at_end = load();
  figures.git_commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  return figures;
}
