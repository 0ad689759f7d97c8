// The pixmill an abuse or fuzz suite attacks: `pnpm start` (the all-in-one, services/standalone/src/main.ts) in a
// process of its own, on one of the two configurations every suite runs on:
// - embedded: nothing configured but a free port and a throw-away DATA_DIR (embedded database, in-process queue,
//   local disk), as a newcomer runs it;
// - services: PostgreSQL (a fresh database), RabbitMQ (queues under a prefix of its own) and S3 protocol (an
//   in-process s3rver).
// The process loads the suite's DNS stub and loopback tripwire first (net-guard.preload.ts). The suite sees its
// database and storage directly, to check what a refused request left behind, and its PID, to tell a survivor from a
// restarted process.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings, type Settings } from '@pixmill/config';
import { createPrisma, type PrismaClient } from '@pixmill/db';
import { createTestDatabase, freePort } from '@pixmill/db/testing';
import { createStoreFromSettings, deriveDownloadSecret } from '@pixmill/runtime';
import type { ObjectStore } from '@pixmill/storage';
import { startTestS3 } from '@pixmill/storage/testing';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { readData } from '@pixmill/gateway/testing';
import { ALL_IN_ONE, startProcess, type PixmillProcess } from './child-process';
import { GUARD_DIR_ENV, guardDir } from '../abuse/support/net-guard';

export type Configuration = 'embedded' | 'services';
export const CONFIGURATIONS: readonly Configuration[] = ['embedded', 'services'];

/** Test infrastructure: which configuration this jest project attacks (support/config-*.ts set it). */
export const CONFIG_ENV = 'PIXMILL_SUITE_CONFIG';
export const abuseConfig = (): Configuration => (process.env[CONFIG_ENV] === 'services' ? 'services' : 'embedded');

type Auth = { Authorization: string };

export type Target = {
  config: Configuration;
  port: number;
  url: string;
  /** The settings it runs with (JWT_SECRET filled in with the one it generated, in the embedded configuration). */
  settings: Settings;
  /** The PID it started with. */
  pid: number;
  /** Still the process that started, running. */
  alive(): boolean;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Its resident memory now (from /proc), in bytes. */
  rssBytes(): number;
  /** A client of its database, and a store over its storage. */
  db: PrismaClient;
  store: ObjectStore;
  /** Objects stored under `prefix` (e.g. `originals/`), counted on its disk or in its S3 server's folder. */
  countObjects(prefix: string): number;
  api(path: string, init?: RequestInit & { auth?: Auth }): Promise<Response>;
  /** Logs in (creating the user through the admin API first unless it is the admin) and answers a bearer header. */
  userAuth(username: string): Promise<Auth>;
  waitForBatch(auth: Auth, batchId: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
};

const PRELOAD = path.join(__dirname, '../abuse/support/net-guard.preload.cjs');
const SERVICES_ADMIN_PASSWORD = 'suite-admin-password-1';

function countFiles(dir: string, suffix = ''): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && d.name.endsWith(suffix))
    .length;
}

export async function startTarget(config: Configuration, extra: Record<string, string> = {}): Promise<Target> {
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const freeOne = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), `pixmill-suite-${config}-`));
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // What every suite needs of both: a port, a folder, quick retries, and an API budget no suite exhausts.
    let env: Record<string, string> = {
      PORT: String(freeOne),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000',
      QUEUE_RETRY_DELAYS_MS: '200,500',
      OUTBOX_POLL_MS: '100',
    };
    let countObjects: (prefix: string) => number;
    let dbUrl: string | undefined;
    if (config === 'services') {
      const db = await createTestDatabase();
      closers.push(() => db.drop());
      const s3 = await startTestS3();
      closers.push(() => s3.close());
      const prefix = `suite-${randomBytes(4).toString('hex')}`;
      closers.push(() => deleteQueuesWithPrefix(prefix));
      dbUrl = db.url;
      env = {
        ...env,
        DATABASE_URL: db.url,
        AMQP_URL: testAmqpUrl(),
        QUEUE_PREFIX: prefix,
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        S3_FORCE_PATH_STYLE: 'true',
        JWT_SECRET: `suite-jwt-secret-${randomBytes(16).toString('hex')}`,
        ADMIN_PASSWORD: SERVICES_ADMIN_PASSWORD,
      };
      // s3rver keeps one `._S3rver_object` file per object under <directory>/<bucket>/<key>.
      countObjects = (prefix) => countFiles(path.join(s3.directory, s3.bucket, prefix), '._S3rver_object');
    } else {
      countObjects = (prefix) => countFiles(path.join(dataDir, 'storage', prefix));
    }
    env = { ...env, ...extra };
    // A suite may choose the port (to build PUBLIC_URL from it).
    const port = Number(env.PORT);
    const settingsFor = loadSettings(env);
    if (!settingsFor.S3_BUCKET && config === 'services') {
      // A category that asks for local disk (downloads through /files/) keeps it in the services configuration too.
      countObjects = (prefix) => countFiles(path.join(dataDir, 'storage', prefix));
    }

    const proc: PixmillProcess = startProcess(ALL_IN_ONE, { ...env, [GUARD_DIR_ENV]: guardDir() }, [
      '--require',
      PRELOAD,
    ]);
    closers.push(() => proc.stop());
    await proc.waitForOutput(/pixmill is listening/, 180_000);
    const url = `http://127.0.0.1:${port}`;
    await proc.waitForStatus(`${url}/api/v1/health`);

    const adminPassword = env.ADMIN_PASSWORD ?? /password: (\S+) {2}\(shown once\)/.exec(proc.output())?.[1];
    if (!adminPassword) throw new Error(`no admin password in the output:\n${proc.output()}`);
    const jwtSecret = env.JWT_SECRET ?? readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim();
    const settings: Settings = { ...settingsFor, JWT_SECRET: jwtSecret };
    if (!dbUrl) {
      // The embedded PostgreSQL's own files: its password, and its port (line 4 of postmaster.pid).
      const password = readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
      const pgPort = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')
        .split('\n')[3]!
        .trim();
      dbUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres`;
    }
    const db = createPrisma(dbUrl, { max: 2 });
    closers.push(() => db.$disconnect());
    const store = createStoreFromSettings(settings, deriveDownloadSecret(jwtSecret));

    const api: Target['api'] = (p, init = {}) => {
      const { auth, headers, ...rest } = init;
      return fetch(`${url}${p}`, { ...rest, headers: { ...(auth ?? {}), ...(headers as Record<string, string>) } });
    };
    const login = async (username: string, password: string): Promise<Auth> => {
      const res = await api('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
      return { Authorization: `Bearer ${(await readData<{ access_token: string }>(res)).access_token}` };
    };
    const adminAuth = await login('admin', adminPassword);
    const alive = () => proc.child.exitCode === null && proc.child.signalCode === null && proc.child.pid === proc.pid;

    return {
      config,
      port,
      url,
      settings,
      pid: proc.pid,
      alive,
      output: () => proc.output(),
      rssBytes: () => {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      },
      db,
      store,
      countObjects,
      api,
      async userAuth(username) {
        if (username === 'admin') return adminAuth;
        const password = `pw-${username}-${randomBytes(6).toString('hex')}`;
        const res = await api('/api/v1/users', {
          method: 'POST',
          auth: adminAuth,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password, role: 'user' }),
        });
        if (res.status !== 201) throw new Error(`create user ${username}: ${res.status} ${await res.text()}`);
        return login(username, password);
      },
      async waitForBatch(auth, batchId, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const res = await api(`/api/v1/batches/${batchId}`, { auth });
          const body = await readData<Record<string, unknown>>(res);
          if (['completed', 'failed', 'cancelled'].includes(String(body.status))) return body;
          if (!alive()) throw new Error(`pixmill exited while waiting for batch ${batchId}:\n${proc.output()}`);
          if (Date.now() > deadline)
            throw new Error(`batch ${batchId} not final after ${timeoutMs} ms: ${JSON.stringify(body)}`);
          await new Promise((r) => setTimeout(r, 150));
        }
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
