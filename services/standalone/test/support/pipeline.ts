// End-to-end harness: the real all-in-one composition root over a fresh PostgreSQL database, real RabbitMQ
// (unique queue names) and an in-process S3 server, listening on a loopback port.
import { randomBytes } from 'node:crypto';
import { loadSettings, type Settings } from '@pixmill/config';
import { createTestDatabase } from '@pixmill/db/testing';
import { startTestS3 } from '@pixmill/storage/testing';
import { startAllInOne, type AllInOne } from '../../src/all-in-one';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { responseCheckEnv } from '@pixmill/gateway/testing';
import { readData } from '@pixmill/gateway/testing';

export const ADMIN_PASSWORD = 'e2e-admin-password-1';

export type Pipeline = {
  app: AllInOne;
  url: string;
  settings: Settings;
  /** Logs in (creating the user through the admin API first unless it is the admin) and answers a bearer header. */
  userAuth(username: string): Promise<{ Authorization: string }>;
  api(path: string, init?: RequestInit & { auth?: { Authorization: string } }): Promise<Response>;
  waitForBatch(auth: { Authorization: string }, batchId: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
};

export async function startPipeline(extra: Record<string, string> = {}): Promise<Pipeline> {
  const db = await createTestDatabase();
  const s3 = await startTestS3();
  const prefix = `e2e-${randomBytes(4).toString('hex')}`;
  const settings = loadSettings({
    PORT: '0',
    DATA_DIR: s3.directory,
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
    JWT_SECRET: 'e2e-jwt-secret-0123456789abcdef-0123456789',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...responseCheckEnv(),
    ...extra,
  });
  const app = await startAllInOne(settings, { quiet: true });
  const url = `http://127.0.0.1:${app.port}`;

  const api: Pipeline['api'] = (path, init = {}) => {
    const { auth, headers, ...rest } = init;
    return fetch(`${url}${path}`, {
      ...rest,
      headers: { ...(auth ?? {}), ...(headers as Record<string, string> | undefined) },
    });
  };
  const login = async (username: string, password: string) => {
    const res = await api('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    const { access_token } = (await readData(res)) as { access_token: string };
    return { Authorization: `Bearer ${access_token}` };
  };
  const adminAuth = await login('admin', ADMIN_PASSWORD);

  return {
    app,
    url,
    settings,
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
        const body = (await readData(res)) as Record<string, unknown>;
        if (['completed', 'failed', 'cancelled'].includes(String(body.status))) return body;
        if (Date.now() > deadline)
          throw new Error(`batch ${batchId} not final after ${timeoutMs} ms: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async close() {
      await app.stop().catch(() => undefined);
      await deleteQueuesWithPrefix(prefix).catch(() => undefined);
      await s3.close().catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
}
