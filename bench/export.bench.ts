// Exports of large batches: a batch of 100,000 images (and their outputs) against one of 1,000, exported as CSV,
// JSON and XLSX through real HTTP from the gateway as deployed (its bundle, its own process; PostgreSQL, S3). For
// each export: seconds, bytes, rows read back from the file, and how much the gateway's resident memory (VmRSS,
// sampled every 50 ms) grew while it ran. Each export gets a fresh gateway, warmed up by a 10-row export, so that
// one export's heap does not hide the next one's growth. Each format of the large batch is exported three times: to
// a client that reads as fast as it can, to one that stops reading (backpressure: the gateway must stop producing
// rather than buffer the file), and with the gateway's old space capped far below the file's size.
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@pixmill/db/testing';
import { startTestS3 } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix } from '@pixmill/queue/testing';
import { countExportRows } from '@pixmill/gateway/testing';
import { deployedEntry } from './support/bundles';
import { cpuSeconds } from './support/proc-stats';
import { login } from './support/login';
import { startService, waitForHttp } from './support/processes';
import { benchServiceEnv } from './support/service-env';

const BIG = 100_000;
const SMALL = 1_000;
const WARM_UP = 10;
const FORMATS = ['csv', 'json', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];
const SAMPLE_MS = 50;
/**
 * The stalled client reads 1 MiB, then nothing until the gateway has gone idle (at most 3 minutes), and 15 s more.
 * The kernel's socket buffers take a few MB first (loopback autotuning), so the gateway is held back only after.
 */
const STALL: Stall = { afterBytes: 2 ** 20, maxMs: 180_000, holdMs: 15_000 };
/**
 * V8 lets garbage pile up to a few times the live heap before a full collection, so a long export's RSS rises by
 * that headroom whatever it retains. With the old space capped well below the size of the file, an export that
 * held its rows could not finish; one that streams runs as before.
 */
const CAPPED_HEAP_MB = 128;

/** Every 10th image failed (no output, an error message that looks like a formula); the rest have one output. */
export async function seedBatch(db: TestDatabase, ownerId: string, images: number, name: string): Promise<string> {
  const id = randomUUID();
  const failed = Math.floor(images / 10);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO batches (id, owner_id, name, status, source_kind, recipe, chunk_size, total_images, processed_images,
                          succeeded_images, failed_images, created_at, started_at, completed_at, updated_at)
     VALUES ($1::uuid, $2::uuid, $3, 'completed', 'csv',
             '{"variants":[{"name":"thumb","width":300,"height":300,"fit":"cover","format":"webp"}]}'::jsonb,
             500, $4::int, $4::int, $4::int - $5::int, $5::int, now() - interval '1 hour', now() - interval '1 hour', now(), now())`,
    id,
    ownerId,
    name,
    images,
    failed,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO images (id, batch_id, row_number, url_index, source_url, source_row, content_type, bytes,
                         content_hash, status, attempts, error_code, error_message, created_at, started_at, processed_at)
     SELECT gen_random_uuid(), $1::uuid, g, 0, 'https://img.example/products/' || g || '/front.jpg',
            jsonb_build_object('sku', 'SKU-' || g, 'name', 'Product number ' || g,
                               'url', 'https://img.example/products/' || g || '/front.jpg'),
            'image/jpeg', 40000 + g % 5000, md5(g::text),
            CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END::"ImageStatus", 1,
            CASE WHEN g % 10 = 0 THEN 'http_404' END,
            CASE WHEN g % 10 = 0 THEN '=HYPERLINK("x") not found for row ' || g END,
            now() - interval '1 hour', now() - interval '30 minutes', now() - interval '29 minutes'
       FROM generate_series(1, $2::int) g`,
    id,
    images,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO outputs (id, image_id, variant, storage_key, format, width, height, bytes)
     SELECT gen_random_uuid(), i.id, 'thumb', 'outputs/' || i.batch_id || '/' || i.id || '/thumb.webp', 'webp',
            300, 300, 12000 + i.row_number % 3000
       FROM images i WHERE i.batch_id = $1::uuid AND i.status = 'succeeded'`,
    id,
  );
  return id;
}

export function vmRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // the process has ended; the download then fails and says how
  }
}

/** Stop reading after `afterBytes`, until the gateway is idle (or `maxMs`), then `holdMs` more. */
type Stall = { afterBytes: number; maxMs: number; holdMs: number };
type StallFigures = {
  /** Whether the gateway went idle (stopped producing) while nobody read, and after how long. */
  idle: boolean;
  secondsUntilIdle: number;
  /** Gateway CPU until it went idle, and over the `holdMs` after (about 0 when it waits for the client). */
  cpuSeconds: number;
  cpuSecondsHeld: number;
  rssGrowthMb: number;
  /** What the client had read when it stopped, and what sat in the kernel's socket buffers when it went on. */
  clientReadMb: number;
  kernelQueuedMb: number;
};

/** Bytes waiting in the kernel on the loopback connection between the two ports, both ends (IPv4 and IPv6 tables). */
function kernelQueuedBytes(portA: number, portB: number): number {
  let total = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const local = parseInt(f[1]!.split(':').pop()!, 16);
      const remote = parseInt(f[2]!.split(':').pop()!, 16);
      if ((local === portA && remote === portB) || (local === portB && remote === portA)) {
        const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16));
        total += tx! + rx!;
      }
    }
  }
  return total;
}

/**
 * GETs `url` into `file`, sampling the gateway's VmRSS meanwhile. With `stall`, the client stops reading for
 * `stall.ms` once it has `stall.afterBytes` (TCP then pushes back on the gateway), and reports what the gateway did
 * meanwhile: one that honours backpressure stops producing once the socket buffers are full, so it then uses next
 * to no CPU, and what it produced is what the client read plus what the kernel holds.
 */
export function download(url: string, headers: Record<string, string>, file: string, pid: number, stall?: Stall) {
  return new Promise<{
    seconds: number;
    bytes: number;
    rssBeforeMb: number;
    rssPeakMb: number;
    /** Peak VmRSS in the first and in the second half of the download (by time). */
    rssPeakHalvesMb: [number, number];
    stall?: StallFigures;
  }>((resolve, reject) => {
    const rssBeforeMb = vmRssMb(pid);
    const samples: [number, number][] = [];
    const started = performance.now();
    const sample = () => samples.push([performance.now() - started, vmRssMb(pid)]);
    const sampler = setInterval(sample, SAMPLE_MS);
    let stalling = false;
    let stalled: StallFigures | undefined;
    const fail = (err: Error) => {
      clearInterval(sampler);
      reject(err);
    };
    const req = http.get(url, { headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(new Error(`${url}: ${res.statusCode}`));
      }
      const out = createWriteStream(file);
      // The file (when the disk is behind) and the stall each hold the response; it goes on when neither does.
      const holds = new Set<'file' | 'stall'>();
      const hold = (why: 'file' | 'stall') => {
        holds.add(why);
        res.pause();
      };
      const release = (why: 'file' | 'stall') => {
        holds.delete(why);
        if (holds.size === 0) res.resume();
      };
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (!out.write(chunk)) {
          hold('file');
          out.once('drain', () => release('file'));
        }
        if (stall && !stalling && bytes >= stall.afterBytes) {
          stalling = true;
          hold('stall');
          const clientRead = bytes;
          const stallStarted = performance.now();
          const cpu0 = cpuSeconds(pid);
          const rss0 = vmRssMb(pid);
          let rssPeak = rss0;
          const cpuBySecond: number[] = [cpu0];
          // Once a second: has the gateway gone idle (under 0.25 CPU seconds in the last 5 s)?
          const watch = setInterval(() => {
            rssPeak = Math.max(rssPeak, vmRssMb(pid));
            cpuBySecond.push(cpuSeconds(pid));
            const n = cpuBySecond.length;
            const idle = n > 5 && cpuBySecond[n - 1]! - cpuBySecond[n - 6]! < 0.25;
            if (!idle && performance.now() - stallStarted < stall.maxMs) return;
            clearInterval(watch);
            const ports = [req.socket!.localPort!, req.socket!.remotePort!] as const;
            const idleAfter = (performance.now() - stallStarted) / 1000;
            const kernelQueued = kernelQueuedBytes(...ports);
            // Still nobody reading: the gateway should stay idle, and its memory where it is.
            const cpuIdle0 = cpuSeconds(pid);
            let rssHold = vmRssMb(pid);
            const holdWatch = setInterval(() => (rssHold = Math.max(rssHold, vmRssMb(pid))), SAMPLE_MS);
            setTimeout(() => {
              clearInterval(holdWatch);
              stalled = {
                idle: idle,
                secondsUntilIdle: idleAfter,
                cpuSeconds: cpuIdle0 - cpu0,
                cpuSecondsHeld: cpuSeconds(pid) - cpuIdle0,
                rssGrowthMb: Math.max(rssPeak, rssHold) - rss0,
                clientReadMb: clientRead / 2 ** 20,
                kernelQueuedMb: kernelQueued / 2 ** 20,
              };
              release('stall');
            }, stall.holdMs);
          }, 1000);
        }
      });
      res.on('error', fail);
      res.on('end', () => {
        if (stall && !stalled) return fail(new Error(`${url}: the download ended before the stall was measured`));
        out.end(() => {
          clearInterval(sampler);
          sample();
          const seconds = (performance.now() - started) / 1000;
          const half = (seconds * 1000) / 2;
          const peak = (from: number, to: number) =>
            Math.max(rssBeforeMb, ...samples.filter(([t]) => t >= from && t < to).map(([, r]) => r));
          resolve({
            seconds,
            bytes,
            rssBeforeMb,
            rssPeakMb: peak(0, Infinity),
            rssPeakHalvesMb: [peak(0, half), peak(half, Infinity)],
            ...(stalled ? { stall: stalled } : {}),
          });
        });
      });
    });
    req.on('error', fail);
  });
}

/** `o` shrinks the run for a quick try; `pnpm bench export` runs the full sizes. */
export async function runExportBench(
  o: { big?: number; small?: number; formats?: Format[] } = {},
): Promise<Record<string, unknown>> {
  const bigCount = o.big ?? BIG;
  const smallCount = o.small ?? SMALL;
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pixmill-export-bench-'));
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const env = {
    ...benchServiceEnv({ databaseUrl: db.url, s3, queuePrefix: prefix }),
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  const startGateway = async (nodeOptions = '') => {
    const port = await freePort();
    const gateway = startService('gateway', deployedEntry('gateway'), {
      ...env,
      PORT: String(port),
      ...(nodeOptions ? { NODE_OPTIONS: `--openssl-legacy-provider ${nodeOptions}` } : {}),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`);
    return { gateway, base };
  };

  try {
    // The first gateway creates the admin; the batches are the admin's, written straight into the database.
    const first = await startGateway();
    const headers = await login(first.base, 'admin', env.ADMIN_PASSWORD);
    await first.gateway.stop();
    const admin = await db.prisma.user.findUniqueOrThrow({ where: { username: 'admin' } });
    const seedStarted = performance.now();
    const batches = {
      warmUp: await seedBatch(db, admin.id, WARM_UP, 'warm-up'),
      small: await seedBatch(db, admin.id, smallCount, 'baseline'),
      big: await seedBatch(db, admin.id, bigCount, 'large'),
    };
    await db.prisma.$executeRawUnsafe('ANALYZE images');
    await db.prisma.$executeRawUnsafe('ANALYZE outputs');
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    /** One export on a fresh gateway, warmed up by a 10-row export of the same format. */
    const exportOnce = async (format: Format, which: 'small' | 'big', run: { stall?: Stall; nodeOptions?: string }) => {
      const { gateway, base } = await startGateway(run.nodeOptions);
      let stopping = false;
      gateway.child.once('exit', (code, signal) => {
        if (!stopping)
          console.error(`gateway ended during the ${format} ${which} export: code ${code}, signal ${signal}`);
      });
      try {
        const pid = gateway.child.pid!;
        const url = (id: string) => `${base}/api/v1/export/batch/${id}?format=${format}&metadata=true`;
        await download(url(batches.warmUp), headers, path.join(dir, `warm.${format}`), pid);
        const file = path.join(dir, `${which}.${format}`);
        const r = await download(url(batches[which]), headers, file, pid, run.stall);
        if (statSync(file).size !== r.bytes) throw new Error(`${format} ${which}: file size differs from bytes read`);
        // One row per image: succeeded images have one output, failed ones none.
        const expected = which === 'big' ? bigCount : smallCount;
        const rows = await countExportRows(format, file);
        if (rows !== expected) throw new Error(`${format} ${which}: ${rows} rows read back, expected ${expected}`);
        rmSync(file);
        return {
          seconds: round(r.seconds),
          mb: round(r.bytes / 2 ** 20),
          rows,
          rows_per_second: Math.round(rows / r.seconds),
          rss_before_mb: round(r.rssBeforeMb),
          rss_peak_mb: round(r.rssPeakMb),
          rss_growth_mb: round(r.rssPeakMb - r.rssBeforeMb),
          rss_peak_first_half_mb: round(r.rssPeakHalvesMb[0]),
          rss_peak_second_half_mb: round(r.rssPeakHalvesMb[1]),
          ...(r.stall
            ? {
                stall_gateway_went_idle: r.stall.idle,
                stall_seconds_until_gateway_idle: round(r.stall.secondsUntilIdle),
                stall_client_had_read_mb: round(r.stall.clientReadMb),
                stall_kernel_socket_buffers_mb: round(r.stall.kernelQueuedMb),
                // Sent by the gateway while nobody read: what the client had plus what the kernel holds. Less
                // than the file means the gateway was held back.
                stall_gateway_had_sent_mb: round(r.stall.clientReadMb + r.stall.kernelQueuedMb),
                stall_gateway_cpu_seconds_until_idle: round(r.stall.cpuSeconds),
                stall_held_seconds: STALL.holdMs / 1000,
                stall_gateway_cpu_seconds_held: round(r.stall.cpuSecondsHeld),
                stall_gateway_rss_growth_mb: round(r.stall.rssGrowthMb),
              }
            : {}),
        };
      } finally {
        stopping = true;
        await gateway.stop();
      }
    };

    const perFormat: Record<string, unknown> = {};
    for (const format of o.formats ?? FORMATS) {
      const small = await exportOnce(format, 'small', {});
      const big = await exportOnce(format, 'big', {});
      const stalled = await exportOnce(format, 'big', { stall: STALL });
      const capped = await exportOnce(format, 'big', { nodeOptions: `--max-old-space-size=${CAPPED_HEAP_MB}` });
      perFormat[format] = {
        small,
        big,
        big_stalled_client: stalled,
        [`big_heap_capped_${CAPPED_HEAP_MB}mb`]: capped,
        rss_growth_big_minus_small_mb: round(big.rss_growth_mb - small.rss_growth_mb),
        rss_growth_big_capped_minus_small_mb: round(capped.rss_growth_mb - small.rss_growth_mb),
      };
      console.log(format, JSON.stringify(perFormat[format]));
    }
    return {
      big_images: bigCount,
      small_images: smallCount,
      seed_seconds: round(seedSeconds),
      formats: perFormat,
    };
  } finally {
    await deleteQueuesWithPrefix(prefix).catch(() => undefined);
    await s3.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
