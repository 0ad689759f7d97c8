// Test harness for anything served by the gateway: the real app over real dependencies (a fresh PostgreSQL
// database, an in-process S3 server, the in-process queue or RabbitMQ), plus users with tokens ready to use.
//
//   const gw = await startGateway();
//   const alice = await gw.createUser();
//   await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${alice.token}`).expect(200);
//   await gw.close();
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { loadSettings, type Settings } from '@pixmill/config';
import { createTestDatabase } from '@pixmill/db/testing';
import { createLogger, createRegistry } from '@pixmill/observability';
import { createAmqpTransport, createMemoryTransport, type Transport } from '@pixmill/queue';
import type { ObjectStore } from '@pixmill/storage';
import { startTestS3 } from '@pixmill/storage/testing';
import { createApp, type GatewayDeps, type GatewayOptions } from '../../src/app';
import { createRateLimitStores } from '../../src/http/rate-limit-store';
import type { Role } from '../../src/auth/auth-context';
import { issueToken } from '../../src/auth/jwt';
import { hashPassword } from '../../src/auth/passwords';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { responseCheckEnv } from './response-check-env';

/** 32+ bytes, fixed, so tests can also mint tokens of their own (see `signTestToken` in tokens.ts). */
export const TEST_JWT_SECRET = 'pixmill-test-jwt-secret-0123456789abcdef';

export type StartGatewayOptions = {
  /** Settings on top of the defaults (LOG_LEVEL defaults to silent). */
  settings?: Partial<Settings>;
  /** 'memory' (default) or 'amqp': RabbitMQ with a unique queue prefix, whose queues close() deletes. */
  queue?: 'memory' | 'amqp';
  /** Broker for queue 'amqp' (default TEST_AMQP_URL or the machine's RabbitMQ on 127.0.0.1). */
  amqpUrl?: string;
  /** Use this store instead of a fresh s3rver bucket (e.g. a fake whose check() fails). */
  store?: ObjectStore;
  /** Use this transport instead of building one. */
  transport?: Transport;
  /** Passed to createApp (e.g. `routes: [...routeModules, extra]`). */
  app?: GatewayOptions;
};

export type TestUser = { id: string; username: string; password: string; role: Role; token: string };

export type TestGateway = {
  app: Express;
  deps: GatewayDeps;
  /** A user straight in the database (bcrypt-hashed as the API would) with a valid login token. */
  createUser(role?: Role, o?: { username?: string; password?: string }): Promise<TestUser>;
  /** Closes the transport (deleting its RabbitMQ queues) and the S3 server, drops the database. Idempotent. */
  close(): Promise<void>;
};

export async function startGateway(o: StartGatewayOptions = {}): Promise<TestGateway> {
  const settings: Settings = { ...loadSettings(responseCheckEnv()), LOG_LEVEL: 'silent', ...o.settings };
  const log = createLogger('gateway-test', settings.LOG_LEVEL);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const db = await createTestDatabase();
    closers.push(() => db.drop());

    let store = o.store;
    if (!store) {
      const s3 = await startTestS3();
      closers.push(() => s3.close());
      store = s3.store;
    }

    let transport = o.transport;
    if (!transport) {
      const policy = { maxAttempts: settings.QUEUE_MAX_ATTEMPTS, retryDelaysMs: settings.QUEUE_RETRY_DELAYS_MS, log };
      if (o.queue === 'amqp') {
        const prefix = `gwtest-${process.pid}-${randomBytes(4).toString('hex')}`;
        closers.push(() => deleteQueuesWithPrefix(prefix));
        transport = createAmqpTransport({
          ...policy,
          url: o.amqpUrl ?? testAmqpUrl(),
          prefix,
          prefetch: settings.QUEUE_PREFETCH,
        });
      } else {
        transport = createMemoryTransport(policy);
      }
      const t = transport;
      closers.push(() => t.close());
    }

    const rateLimits = createRateLimitStores(settings, log);
    closers.push(() => rateLimits.close());
    const deps: GatewayDeps = {
      rateLimits,
      settings,
      prisma: db.prisma,
      store,
      transport,
      log,
      registry: createRegistry('gateway-test'),
      jwtSecret: TEST_JWT_SECRET,
    };
    const app = createApp(deps, o.app);

    const createUser = async (
      role: Role = 'user',
      u: { username?: string; password?: string } = {},
    ): Promise<TestUser> => {
      const username = u.username ?? `${role}-${randomBytes(5).toString('hex')}`;
      const password = u.password ?? `pw-${randomBytes(9).toString('base64url')}`;
      const user = await db.prisma.user.create({
        data: { username, role, passwordHash: await hashPassword(password) },
      });
      const { access_token } = issueToken(TEST_JWT_SECRET, user.id, settings.JWT_TTL_SECONDS);
      return { id: user.id, username, password, role, token: access_token };
    };

    return { app, deps, createUser, close };
  } catch (err) {
    await close();
    throw err;
  }
}
