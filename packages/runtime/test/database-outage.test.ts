// A worker's clients (buildClients, as every service builds them) on the real PostgreSQL, reached through a loopback
// relay the test takes away, and the real RabbitMQ: jobs wait out a database outage longer than their whole retry
// schedule instead of being dead-lettered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadSettings } from '@pixmill/config';
import { createTestDatabase, startTcpRelay, type TcpRelay, type TestDatabase } from '@pixmill/db/testing';
import { buildClients, type Clients } from '../src';

const AMQP_URL = process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
const kind = 'resize.image' as const;
const job = () => ({ v: 1 as const, batchId: randomUUID(), imageId: randomUUID() });

async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a database outage seen by a worker', () => {
  let db: TestDatabase;
  let relay: TcpRelay;
  let clients: Clients;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-outage-'));
    const settings = loadSettings({
      DATABASE_URL: relay.urlFor(db.url),
      AMQP_URL,
      QUEUE_PREFIX: `outage-${randomBytes(4).toString('hex')}`,
      // Two attempts 20 ms apart: without holding, any outage past ~20 ms would dead-letter the jobs.
      QUEUE_MAX_ATTEMPTS: '2',
      QUEUE_RETRY_DELAYS_MS: '20',
      QUEUE_PREFETCH: '2',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
    });
    clients = await buildClients(settings, {
      service: 'outage-test',
      allowEmbedded: false,
      downloadSigningSecret: 'outage-test-signing-secret-0123456789abcdef',
    });
  });
  afterAll(async () => {
    await clients?.close();
    await relay?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds jobs while PostgreSQL is unreachable and runs each once, as its first attempt, when it is back', async () => {
    const runs: { id: string; attempt: number; ok: boolean }[] = [];
    await clients.transport.consume(kind, async (p, ctx) => {
      try {
        await clients.prisma.$queryRaw`SELECT 1`;
        runs.push({ id: p.imageId, attempt: ctx.attempt, ok: true });
      } catch (err) {
        runs.push({ id: p.imageId, attempt: ctx.attempt, ok: false });
        throw err;
      }
    });
    await clients.prisma.$queryRaw`SELECT 1`; // connected before the outage

    await relay.pause();
    const jobs = [job(), job(), job(), job()];
    for (const j of jobs) await clients.transport.publish(kind, j);
    await until(() => runs.length >= 2, 'the first jobs to fail');
    await new Promise((r) => setTimeout(r, 2_000)); // 100 times the retry schedule
    // Held (two, the prefetch), not retried through the queue, nothing dead-lettered.
    expect(runs.filter((r) => !r.ok).length).toBeLessThanOrEqual(2);
    expect((await clients.transport.depth(kind)).deadLettered).toBe(0);

    await relay.resume();
    await until(() => new Set(runs.filter((r) => r.ok).map((r) => r.id)).size === 4, 'every job done');
    expect(runs.filter((r) => r.ok).map((r) => r.attempt)).toEqual([1, 1, 1, 1]);
    expect((await clients.transport.depth(kind)).deadLettered).toBe(0);
  });
});
