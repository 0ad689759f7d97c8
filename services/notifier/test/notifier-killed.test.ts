// The notifier as its own process (src/main.ts), killed with SIGKILL in the middle of a delivery's schedule and
// started again: the delivery must still happen, exactly once successfully.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startTestS3, type TestS3 } from '@pixmill/storage/testing';
import { JWT_SECRET, startHarness, type Harness } from './support/notifier-harness';
import { startReceiver, verifyStandard, type Receiver } from './support/webhook-receiver';

const ROOT = path.resolve(__dirname, '../../..');
const TIMEOUT_MS = 3000;

let h: Harness;
let rx: Receiver;
let s3: TestS3;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  rx = await startReceiver();
  s3 = await startTestS3();
  // The test process runs the outbox relay (as the gateway does in production), not a notifier.
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.close();
  await rx?.close();
  await s3?.close();
});

function startNotifierProcess(): { child: ChildProcess; output: () => string } {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: h.db.url,
    AMQP_URL: h.settings.AMQP_URL!,
    QUEUE_PREFIX: h.prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    JWT_SECRET,
    HEALTH_PORT: '0',
    LOG_LEVEL: 'warn',
    FETCH_ALLOW_HOSTS: rx.host,
    WEBHOOK_RETRY_SCHEDULE_MS: '2000',
    WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/notifier/src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  return { child, output: () => out };
}

async function consuming(n: number) {
  await h.until(
    async () => (await h.transport.depth('notify.webhook')).consumers === n,
    `${n} notifier consumer(s)`,
    60_000,
  );
}

async function kill(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  await consuming(0);
}

describe('notifier killed mid-schedule', () => {
  it('between attempts: the scheduled retry waits in the database and queue, and the next notifier delivers it once', async () => {
    rx.script('/between', [{ status: 500 }, { status: 200 }]);
    const a = startNotifierProcess();
    await consuming(1);
    const { eventId, secret } = await h.endBatch({ webhookUrl: rx.url('/between') });
    await h.until(
      async () => (await h.deliveries(eventId))[0]?.nextAttemptAt,
      'the first attempt failed, retry planned',
    );
    await kill(a.child);

    // While no notifier runs, the retry comes due and is published; it waits in the queue.
    await h.until(
      async () => (await h.db.prisma.outboxMessage.findUnique({ where: { messageId: `${eventId}.2` } }))?.publishedAt,
      'the retry published',
    );
    // The retry waits in the queue; the first attempt's own message may wait there too, when the kill landed
    // between recording the attempt and acking it — its redelivery must then change nothing (asserted below).
    expect((await h.transport.depth('notify.webhook')).ready).toBeGreaterThanOrEqual(1);
    expect(rx.received('/between')).toHaveLength(1);

    const b = startNotifierProcess();
    try {
      const reqs = await rx.waitFor('/between', 2, 60_000);
      const rows = await h.until(async () => {
        const r = await h.deliveries(eventId);
        return r[1]?.status === 'succeeded' && r;
      }, 'the delivery recorded');
      expect(rows.map((r) => [r.attempt, r.status])).toEqual([
        [1, 'failed'],
        [2, 'succeeded'],
      ]);
      expect(reqs.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
      expect(verifyStandard(secret, reqs[1]!.body, reqs[1]!.headers)).toBe(true);
      await h.until(async () => (await h.transport.depth('notify.webhook')).ready === 0, 'queue empty');
      expect(rx.received('/between')).toHaveLength(2);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nnotifier output:\n${b.output()}`);
    } finally {
      await kill(b.child);
    }
  });

  it('during an attempt: the unacked message comes back, waits out the lease, and is delivered once', async () => {
    rx.script('/during', ['hang', { status: 200 }]);
    const a = startNotifierProcess();
    await consuming(1);
    const { eventId } = await h.endBatch({ webhookUrl: rx.url('/during') });
    await rx.waitFor('/during', 1);
    await kill(a.child); // the request is in flight: its row is pending, its message unacked

    expect((await h.deliveries(eventId)).map((r) => r.status)).toEqual(['pending']);
    const b = startNotifierProcess();
    try {
      await rx.waitFor('/during', 2, 60_000);
      const rows = await h.until(async () => {
        const r = await h.deliveries(eventId);
        return r[0]?.status === 'succeeded' && r;
      }, 'the taken-over attempt recorded');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ attempt: 1, statusCode: 200 });
      await h.until(async () => {
        const n = await h.db.prisma.outboxMessage.count({
          where: { messageId: { startsWith: eventId }, publishedAt: null },
        });
        const d = await h.transport.depth('notify.webhook');
        return n === 0 && d.ready === 0;
      }, 'nothing left to send');
      expect(rx.received('/during')).toHaveLength(2);
      expect((await h.deliveries(eventId)).filter((r) => r.status === 'succeeded')).toHaveLength(1);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nnotifier output:\n${b.output()}`);
    } finally {
      await kill(b.child);
    }
  });
});
