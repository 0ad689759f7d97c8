// Everything one fault scenario runs against: PostgreSQL and RabbitMQ (the machine's, with a database and queue
// names of the scenario's own, or private ones it may stop), an in-process S3 server, the loopback image server and
// webhook receiver, and the four services as separate processes that the scenario can kill and start again.
import { randomBytes } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@pixmill/db';
import { createTestDatabase, freePort } from '@pixmill/db/testing';
import { startTestS3, type TestS3 } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { startReceiver, type Receiver } from '@pixmill/notifier/testing';
import { startImageServer, type ImageServer } from './image-server';
import { sparePort, startPrivatePostgres, startPrivateRabbitMq, type PrivateService } from './private-infra';
import { startServiceProcess, type ServiceName, type ServiceProcess } from './service-process';
import { readData } from '@pixmill/gateway/testing';

export type StackOptions = {
  /** `private`: a RabbitMQ node of the scenario's own, which it may stop (default: the machine's, own queue names). */
  rabbitmq?: 'machine' | 'private';
  /** `private`: a PostgreSQL cluster of the scenario's own (default: a fresh database on the machine's server). */
  postgres?: 'machine' | 'private';
  /** Settings for every service (over the suite's defaults). */
  env?: Record<string, string>;
};

export type FaultStack = {
  prisma: PrismaClient;
  databaseUrl: string;
  amqpUrl: string;
  prefix: string;
  s3: TestS3;
  images: ImageServer;
  receiver: Receiver;
  rabbitmq?: PrivateService;
  postgres?: PrivateService;
  /** The running process of each label (the latest one started under it). */
  procs: Map<string, ServiceProcess>;
  /** Starts a service under `label` (a new process each call) and waits until it serves or consumes. */
  start(label: string, service: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  /** Starts the gateway, ingest, notifier and `resizeWorkers` resize workers (`resize`, `resize-2`, ...) at once. */
  startAll(o?: { resizeWorkers?: number }): Promise<void>;
  /** A request to the gateway as the admin. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The admin's Authorization header, for requests made another way. */
  auth(): { authorization: string };
  gatewayUrl: string;
  close(): Promise<void>;
};

export const ADMIN_PASSWORD = 'faults-admin-password-1';
const JWT_SECRET = 'faults-jwt-secret-0123456789abcdef-0123456789';

export const READY: Record<ServiceName, string> = {
  gateway: 'gateway listening',
  ingest: 'ingest worker consuming',
  resize: 'resize worker consuming',
  notifier: 'notifier worker consuming',
  analyze: 'analyze worker consuming',
};

export async function startFaultStack(o: StackOptions = {}): Promise<FaultStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let prisma: PrismaClient;
    let databaseUrl: string;
    let postgres: PrivateService | undefined;
    if (o.postgres === 'private') {
      postgres = await startPrivatePostgres();
      const pg = postgres;
      cleanups.push(() => pg.destroy());
      databaseUrl = postgres.url;
      prisma = createPrisma(databaseUrl, { max: 4 });
      const p = prisma;
      cleanups.push(() => p.$disconnect());
    } else {
      const db = await createTestDatabase();
      cleanups.push(() => db.drop());
      databaseUrl = db.url;
      prisma = db.prisma;
    }

    const prefix = `fault-${randomBytes(4).toString('hex')}`;
    let amqpUrl: string;
    let rabbitmq: PrivateService | undefined;
    if (o.rabbitmq === 'private') {
      rabbitmq = await startPrivateRabbitMq();
      const r = rabbitmq;
      cleanups.push(() => r.destroy());
      amqpUrl = rabbitmq.url;
    } else {
      amqpUrl = testAmqpUrl();
      cleanups.push(() => deleteQueuesWithPrefix(prefix));
    }

    const s3 = await startTestS3();
    cleanups.push(() => s3.close());
    const images = await startImageServer();
    cleanups.push(() => images.close());
    // Below the ephemeral port range, so nothing else takes its port while a scenario has it stopped.
    const receiver = await startReceiver(await sparePort());
    cleanups.push(() => receiver.close());

    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      MALLOC_ARENA_MAX: '2',
      DATABASE_URL: databaseUrl,
      AMQP_URL: amqpUrl,
      QUEUE_PREFIX: prefix,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      JWT_SECRET,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD,
      PUBLIC_URL: gatewayUrl,
      PORT: String(gatewayPort),
      FETCH_ALLOW_HOSTS: `${images.host},${receiver.host}`,
      RATE_LIMIT_PER_MINUTE: '100000',
      CHUNK_SIZE: '50',
      LOG_LEVEL: 'info',
      ...o.env,
    };

    const procs = new Map<string, ServiceProcess>();
    const all: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const p of all) p.child.kill('SIGKILL');
      await Promise.all(all.map((p) => p.exited));
    });

    let token: string | undefined;
    const login = async () => {
      const res = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`admin login: ${res.status} ${await res.text()}`);
      token = ((await readData(res)) as { access_token: string }).access_token;
    };

    const start: FaultStack['start'] = async (label, service, env = {}) => {
      const healthPort: Record<string, string> = service === 'gateway' ? {} : { HEALTH_PORT: String(await freePort()) };
      const p = startServiceProcess(label, service, { ...common, ...healthPort, ...env });
      all.push(p);
      procs.set(label, p);
      await p.waitForLog(READY[service], 90_000);
      if (service === 'gateway' && !token) await login();
      return p;
    };

    const stack: FaultStack = {
      prisma,
      databaseUrl,
      amqpUrl,
      prefix,
      s3,
      images,
      receiver,
      ...(rabbitmq ? { rabbitmq } : {}),
      ...(postgres ? { postgres } : {}),
      procs,
      start,
      async startAll({ resizeWorkers = 1 } = {}) {
        await Promise.all([
          start('gateway', 'gateway'),
          start('ingest', 'ingest'),
          start('notifier', 'notifier'),
          ...Array.from({ length: resizeWorkers }, (_, i) => start(i === 0 ? 'resize' : `resize-${i + 1}`, 'resize')),
        ]);
      },
      gatewayUrl,
      auth: () => ({ authorization: `Bearer ${token}` }),
      api(path, init = {}) {
        return fetch(`${gatewayUrl}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
        });
      },
      close: cleanUp,
    };
    return stack;
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
