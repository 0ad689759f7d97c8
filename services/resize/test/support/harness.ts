// Runs the resize service the way it is deployed: its own process (`node --import tsx src/main.ts`, as the image's
// CMD), configured only by environment, against a fresh PostgreSQL database, the machine's RabbitMQ (own queue
// prefix) and an in-process S3 server. Batches are written straight into the database, storage and outbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { createTestDatabase, freePort, type TestDatabase } from '@pixmill/db/testing';
import { parseRecipe } from '@pixmill/imaging';
import { startTestS3, type TestS3 } from '@pixmill/storage/testing';
import { createUploadBatch } from '@pixmill/gateway/testing';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';

const SERVICE_DIR = path.resolve(__dirname, '../..');

export type WorkerProcess = {
  child: ChildProcess;
  healthPort: number;
  /** Every line the process printed so far (JSON log lines and plain ones). */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that has this `msg`; rejects if the process exits first. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  metrics(): Promise<string>;
};

export type Harness = {
  db: TestDatabase;
  s3: TestS3;
  prefix: string;
  env(extra?: Record<string, string>): Record<string, string>;
  startWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  /** A running batch of `images` stored originals, their resize jobs in the outbox. Answers its id and image ids. */
  createBatch(images: Buffer[], variants?: unknown[]): Promise<{ batchId: string; imageIds: string[] }>;
  close(): Promise<void>;
};

export const TWO_VARIANTS = [
  { name: 'large', width: 1200, format: 'webp', quality: 80 },
  { name: 'thumb', width: 300, height: 300, fit: 'cover', format: 'jpeg' },
];

/** A noisy photo-like JPEG (noise costs sharp about what a photo does). */
export const photo = (width: number, height: number): Promise<Buffer> =>
  sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .jpeg()
    .toBuffer();

export async function startHarness(): Promise<Harness> {
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const prefix = `rtest-${randomBytes(4).toString('hex')}`;
  const workers: WorkerProcess[] = [];
  const owner = await db.prisma.user.create({
    data: { username: `owner-${prefix}`, passwordHash: 'not-used', role: 'user' },
  });

  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: db.url,
    AMQP_URL: testAmqpUrl(),
    QUEUE_PREFIX: prefix,
    QUEUE_RETRY_DELAYS_MS: '200,500',
    OUTBOX_POLL_MS: '100',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    RESIZE_CONCURRENCY: '2',
    LOG_LEVEL: 'info',
    ...extra,
  });

  return {
    db,
    s3,
    prefix,
    env,
    async startWorker(extra = {}) {
      const w = spawnWorker(env({ HEALTH_PORT: String(await freePort()), ...extra }));
      workers.push(w);
      await w.waitForLog('resize worker consuming');
      return w;
    },
    async createBatch(images, variants = TWO_VARIANTS) {
      const batchId = randomUUID();
      const stored = await Promise.all(
        images.map(async (bytes) => {
          const id = randomUUID();
          const originalKey = `originals/${batchId}/${id}.jpg`;
          await s3.store.put(originalKey, bytes, { contentType: 'image/jpeg', contentLength: bytes.length });
          return { id, originalKey, bytes: bytes.length, contentType: 'image/jpeg', originalName: `${id}.jpg` };
        }),
      );
      await createUploadBatch(db.prisma, {
        id: batchId,
        ownerId: owner.id,
        name: 'drain test',
        recipe: parseRecipe({ variants }),
        sourceKind: 'upload',
        autoStart: true,
        images: stored,
      });
      return { batchId, imageIds: stored.map((s) => s.id) };
    },
    async close() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await s3.close().catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
}

function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVICE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onData = (buf: Buffer, carry: { rest: string }) => {
    const parts = (carry.rest + buf.toString('utf8')).split('\n');
    carry.rest = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const l of listeners) l(line);
    }
  };
  const out = { rest: '' };
  const err = { rest: '' };
  child.stdout?.on('data', (b: Buffer) => onData(b, out));
  child.stderr?.on('data', (b: Buffer) => onData(b, err));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const healthPort = Number(env.HEALTH_PORT);

  return {
    child,
    healthPort,
    lines,
    exited,
    waitForLog(msg, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const match = (line: string) => {
          try {
            const entry = JSON.parse(line) as Record<string, unknown>;
            if (entry.msg === msg) return entry;
          } catch {
            // a plain line
          }
          return undefined;
        };
        for (const line of lines) {
          const found = match(line);
          if (found) return resolve(found);
        }
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no "${msg}" log line within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
        }, timeoutMs);
        const listener = (line: string) => {
          const found = match(line);
          if (!found) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(found);
        };
        listeners.add(listener);
        void exited.then(({ code, signal }) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`worker exited (${code ?? signal}) before "${msg}"; output:\n${lines.join('\n')}`));
        });
      });
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return res.text();
    },
  };
}

/** Polls until `cond` answers true; throws with `what` after the timeout. */
export async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
