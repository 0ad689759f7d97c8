// The scale suite's cluster, every part on its own test host and addressed by that host's address: PostgreSQL
// (`db`), a three-node RabbitMQ cluster (`broker1..3`), Redis (`cache`), two gateways (`gw1`, `gw2`), and two of each
// worker spread over `work1` and `work2`. The S3 server, the image server the URL batches name and the webhook
// receiver run in this process, on the runner's address (198.18.0.1).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrisma, migrate, type PrismaClient } from '@pixmill/db';
import { startTestS3, type TestS3 } from '@pixmill/storage/testing';
import { startReceiver, type Receiver } from '@pixmill/notifier/testing';
import { startImageServer, type ImageServer } from '../../faults/support/image-server';
import { READY } from '../../faults/support/fault-stack';
import { ROOT, startServiceProcess, type ServiceName, type ServiceProcess } from '../../faults/support/service-process';
import type { CheckedPipeline } from '../../faults/support/verify';
import type { Submitter } from '../../faults/support/fault-batches';
import { createTestHosts, RUNNER_IP, SUBNET, type TestHosts } from './test-hosts';
import { readData } from '@pixmill/gateway/testing';

const run = promisify(execFile);

export const HOSTS = {
  gw1: 11,
  gw2: 12,
  work1: 21,
  work2: 22,
  broker1: 31,
  broker2: 32,
  broker3: 33,
  db: 41,
  cache: 51,
} as const;
export type Host = keyof typeof HOSTS;
export type Gateway = 'gw1' | 'gw2';
export type BrokerName = 'broker1' | 'broker2' | 'broker3';
const BROKERS: BrokerName[] = ['broker1', 'broker2', 'broker3'];

const WORKERS: { label: string; service: ServiceName; host: Host }[] = [
  { label: 'ingest-1', service: 'ingest', host: 'work1' },
  { label: 'resize-1', service: 'resize', host: 'work1' },
  { label: 'notifier-1', service: 'notifier', host: 'work1' },
  { label: 'analyze-1', service: 'analyze', host: 'work1' },
  { label: 'ingest-2', service: 'ingest', host: 'work2' },
  { label: 'resize-2', service: 'resize', host: 'work2' },
  { label: 'notifier-2', service: 'notifier', host: 'work2' },
  { label: 'analyze-2', service: 'analyze', host: 'work2' },
];

export const ADMIN_PASSWORD = 'scale-admin-password-1';
const JWT_SECRET = 'scale-jwt-secret-0123456789abcdef-0123456789ab';
const SCRIPTS = path.join(ROOT, 'infra/faults');
const AMQP_PORT = 5672;

export type Broker = {
  name: BrokerName;
  node: string;
  ip: string;
  /** kill -9 of the node's VM. */
  kill(): Promise<void>;
  /** Starts it again on its data (it rejoins the cluster); resolves once it serves. */
  start(): Promise<void>;
  ctl(...args: string[]): Promise<string>;
};

export type ScaleCluster = CheckedPipeline &
  Submitter & {
    hosts: TestHosts;
    databaseUrl: string;
    brokers: Record<BrokerName, Broker>;
    /** Redis for the gateways' shared rate limits: stop (kill) and start it again on the same address. */
    redis: { url: string; stop(): Promise<void>; start(): Promise<void> };
    gatewayUrl(gw: Gateway): string;
    /** The same cluster, with `api` (and batch submission) going through this gateway. */
    via(gw: Gateway): ScaleCluster;
    /** Starts (again) the process under `label` on its host; resolves once it serves or consumes. */
    start(label: string): Promise<ServiceProcess>;
    auth(): { authorization: string };
    close(): Promise<void>;
  };

async function script(name: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    return (await run(path.join(SCRIPTS, name), args, { timeout: 180_000, env: { ...process.env, ...env } })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A long-running child on a test host (Redis), killed with the cluster. */
function spawnOn(hosts: TestHosts, host: Host, cmd: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', hosts.netns(host), ...cmd], { stdio: 'ignore' });
}

export async function startScaleCluster(o: { env?: Record<string, string> } = {}): Promise<ScaleCluster> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const hosts = await createTestHosts(HOSTS);
    cleanups.push(() => hosts.destroy());
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pixscale-'));
    // The servers run as their own users (postgres, rabbitmq) in folders below this one.
    await chmod(dataDir, 0o755);
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    // PostgreSQL and the three broker nodes boot at once (the slow part); the brokers join broker1 after.
    const cookie = randomBytes(16).toString('hex');
    const brokerDir = (b: BrokerName) => path.join(dataDir, b);
    const pgDir = path.join(dataDir, 'db');
    const pgIp = hosts.ip('db');
    const startBroker = (b: BrokerName) =>
      script('rabbitmq.sh', ['start', brokerDir(b), String(AMQP_PORT), '25672'], {
        RMQ_NETNS: hosts.netns(b),
        RMQ_IP: hosts.ip(b),
        RMQ_COOKIE: cookie,
        // A worker host cut off is noticed in seconds, so its unacked jobs go back to the queue (default 60 s).
        RMQ_EXTRA_CONF: 'heartbeat = 5',
      }).then(() => undefined);
    const startPg = () =>
      script('postgres.sh', ['start', pgDir, '5432'], {
        PG_NETNS: hosts.netns('db'),
        PG_LISTEN: pgIp,
        PG_TRUST_NET: SUBNET,
      });
    cleanups.push(async () => {
      for (const b of BROKERS) await script('rabbitmq.sh', ['kill', brokerDir(b)]).catch(() => undefined);
      await script('postgres.sh', ['stop', pgDir, 'immediate']).catch(() => undefined);
    });
    await Promise.all([startPg(), ...BROKERS.map(startBroker)]);
    const nodeOf = (b: BrokerName) => `pixscale@${hosts.ip(b)}`;
    for (const b of BROKERS.slice(1)) await script('rabbitmq.sh', ['join', brokerDir(b), nodeOf('broker1')]);

    const admin = createPrisma(`postgresql://postgres@${pgIp}:5432/postgres`, { max: 1 });
    try {
      await admin.$executeRawUnsafe('CREATE DATABASE pixmill');
    } finally {
      await admin.$disconnect();
    }
    const databaseUrl = `postgresql://postgres@${pgIp}:5432/pixmill`;
    await migrate(databaseUrl);
    const prisma: PrismaClient = createPrisma(databaseUrl, { max: 4 });
    cleanups.push(() => prisma.$disconnect());

    const redisUrl = `redis://${hosts.ip('cache')}:6379`;
    let redisProc: ChildProcess | undefined;
    const redis = {
      url: redisUrl,
      async start() {
        redisProc = spawnOn(hosts, 'cache', [
          'redis-server',
          '--bind',
          hosts.ip('cache'),
          '--port',
          '6379',
          '--save',
          '',
          '--appendonly',
          'no',
          // No password on a test host: clients come from other hosts, which protected mode would refuse.
          '--protected-mode',
          'no',
        ]);
        const p = redisProc;
        // Serving once it answers PING (over the test network, as the gateways reach it).
        for (let i = 0; i < 300; i++) {
          const { Socket } = await import('node:net');
          const ok = await new Promise<boolean>((resolve) => {
            const s = new Socket();
            s.once('error', () => resolve(false));
            s.connect(6379, hosts.ip('cache'), () => {
              s.write('PING\r\n');
              s.once('data', (d) => {
                s.destroy();
                resolve(d.toString().startsWith('+PONG'));
              });
            });
          });
          if (ok) return;
          if (p.exitCode !== null) throw new Error(`redis-server exited (${p.exitCode})`);
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('redis-server did not answer PING');
      },
      async stop() {
        const p = redisProc;
        if (!p || p.exitCode !== null) return;
        await new Promise<void>((resolve) => {
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        });
      },
    };
    cleanups.push(() => redis.stop());
    await redis.start();

    const s3: TestS3 = await startTestS3(RUNNER_IP);
    cleanups.push(() => s3.close());
    const images: ImageServer = await startImageServer(RUNNER_IP);
    cleanups.push(() => images.close());
    const receiver: Receiver = await startReceiver(0, RUNNER_IP);
    cleanups.push(() => receiver.close());

    const gatewayUrl = (gw: Gateway) => `http://${hosts.ip(gw)}:8080`;
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      MALLOC_ARENA_MAX: '2',
      DATABASE_URL: databaseUrl,
      AMQP_URL: BROKERS.map((b) => `amqp://guest:guest@${hosts.ip(b)}:${AMQP_PORT}`).join(','),
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      REDIS_URL: redisUrl,
      JWT_SECRET,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD,
      FETCH_ALLOW_HOSTS: `${images.host},${receiver.host}`,
      RATE_LIMIT_PER_MINUTE: '100000',
      CHUNK_SIZE: '50',
      RESIZE_CONCURRENCY: '1',
      LOG_LEVEL: 'info',
      ...o.env,
    };
    const specs = new Map<string, { service: ServiceName; host: Host }>([
      ['gw1', { service: 'gateway', host: 'gw1' }],
      ['gw2', { service: 'gateway', host: 'gw2' }],
      ...WORKERS.map((w) => [w.label, { service: w.service, host: w.host }] as const),
    ]);

    const procs = new Map<string, ServiceProcess>();
    const all: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const p of all) p.child.kill('SIGKILL');
      await Promise.all(all.map((p) => p.exited));
    });
    const start = async (label: string) => {
      const spec = specs.get(label);
      if (!spec) throw new Error(`no service ${label} in the scale cluster`);
      const own: Record<string, string> = { HOST: hosts.ip(spec.host) };
      if (spec.service === 'gateway') Object.assign(own, { PORT: '8080', PUBLIC_URL: gatewayUrl(label as Gateway) });
      else own.HEALTH_PORT = String(9100 + WORKERS.findIndex((w) => w.label === label));
      const p = startServiceProcess(label, spec.service, { ...common, ...own }, { netns: hosts.netns(spec.host) });
      all.push(p);
      procs.set(label, p);
      await p.waitForLog(READY[spec.service], 120_000);
      return p;
    };
    // Both gateways at once, as a rollout starts replicas: the first-start admin must come out once.
    await Promise.all([start('gw1'), start('gw2')]);
    await Promise.all(WORKERS.map((w) => start(w.label)));

    const login = await fetch(`${gatewayUrl('gw1')}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`admin login: ${login.status} ${await login.text()}`);
    const token = ((await readData(login)) as { access_token: string }).access_token;
    const auth = () => ({ authorization: `Bearer ${token}` });

    const brokers = Object.fromEntries(
      BROKERS.map((b): [BrokerName, Broker] => [
        b,
        {
          name: b,
          node: nodeOf(b),
          ip: hosts.ip(b),
          kill: () => script('rabbitmq.sh', ['kill', brokerDir(b)]).then(() => undefined),
          start: () => startBroker(b),
          ctl: (...args) => script('rabbitmq.sh', ['ctl', brokerDir(b), ...args]),
        },
      ]),
    ) as Record<BrokerName, Broker>;

    await writeFile(path.join(dataDir, 'owner.pid'), String(process.pid));
    const make = (gw: Gateway): ScaleCluster => ({
      prisma,
      s3,
      images,
      receiver,
      procs,
      hosts,
      databaseUrl,
      brokers,
      redis,
      gatewayUrl,
      via: make,
      start,
      auth,
      api(p, init = {}) {
        return fetch(`${gatewayUrl(gw)}${p}`, {
          ...init,
          headers: { ...auth(), ...(init.headers as Record<string, string> | undefined) },
        });
      },
      close: cleanUp,
    });
    return make('gw1');
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
