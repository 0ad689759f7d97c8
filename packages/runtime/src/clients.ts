// The shared clients every service needs, built one way from settings: production services on external
// PostgreSQL/RabbitMQ/S3, or the embedded defaults of the all-in-one process.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { amqpUrls, publicUrl, ConfigError, type Settings } from '@pixmill/config';
import {
  createPrisma,
  isDatabaseUnavailable,
  migrate,
  pendingMigrations,
  startEmbeddedPostgres,
  type CreatePrismaOptions,
  type PrismaClient,
} from '@pixmill/db';
import { createLogger, createRegistry, type Logger, type Registry } from '@pixmill/observability';
import {
  createAmqpTransport,
  createDependencyGate,
  createMemoryTransport,
  startOutboxRelay,
  type OutboxRelay,
  type Transport,
} from '@pixmill/queue';
import { createLocalStore, createS3Store, type ObjectStore } from '@pixmill/storage';
import { instrumentTransport, registerOutboxMetrics } from './queue-metrics';

export type Clients = {
  settings: Settings;
  log: Logger;
  registry: Registry;
  prisma: PrismaClient;
  /** The database prisma talks to: DATABASE_URL, or the embedded server's. */
  databaseUrl: string;
  store: ObjectStore;
  transport: Transport;
  /** True when the database or queue is the embedded one (single-process mode). */
  embedded: boolean;
  /**
   * Lets go of jobs held while the database is down (they go back to the queue as the same attempt). Call it first
   * when stopping, so consumers can drain without waiting for the database; close() does it too.
   */
  releaseHeldJobs(): void;
  close(): Promise<void>;
};

export type BuildOptions = {
  service: string;
  /** Only the all-in-one process may fall back to the embedded database and the in-process queue. */
  allowEmbedded: boolean;
  /** Secret for signing local-disk download URLs (derived from the JWT secret by the caller that has it). */
  downloadSigningSecret?: string;
  /**
   * Apply pending migrations to an external database at start (the all-in-one process, which owns its database
   * as a laptop user sees it). A service alone does so only with MIGRATE_ON_START; otherwise it refuses to start
   * on an unmigrated database, naming the command that migrates it.
   */
  applyMigrations?: boolean;
};

export async function buildClients(settings: Settings, o: BuildOptions): Promise<Clients> {
  const log = createLogger(o.service, settings.LOG_LEVEL);
  const registry = createRegistry(o.service);
  const closers: (() => Promise<void>)[] = [];
  let embedded = false;

  try {
    let databaseUrl = settings.DATABASE_URL;
    const clientOptions: CreatePrismaOptions = { preparedStatements: settings.DATABASE_PREPARED_STATEMENTS };
    if (!databaseUrl) {
      if (!o.allowEmbedded)
        throw new ConfigError([{ setting: 'DATABASE_URL', message: `required to run ${o.service} on its own` }]);
      const pg = await startEmbeddedPostgres(path.resolve(settings.DATA_DIR), {
        log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
      });
      closers.push(() => pg.stop());
      databaseUrl = pg.url;
      embedded = true;
      // The embedded database is ours alone, so we migrate it.
      await migrate(databaseUrl, (m) => log.info(m));
    } else if (o.applyMigrations || settings.MIGRATE_ON_START) {
      // Several processes starting at once take turns on the migration lock; each file is applied once.
      await migrate(databaseUrl, (m) => log.info(m));
    } else {
      await refuseUnmigrated(databaseUrl, log);
    }
    const prisma = createPrisma(databaseUrl, clientOptions);
    closers.push(() => prisma.$disconnect());

    // A job failing because the database is down waits for it instead of spending its attempts: an outage of any
    // length is waited out, and the worker takes no new jobs meanwhile (its prefetch is full of held ones).
    const dependencies = createDependencyGate({
      isOutage: isDatabaseUnavailable,
      probe: () => prisma.$queryRaw`SELECT 1`,
      onChange: (up) =>
        up
          ? log.info('database reachable again; held jobs resume')
          : log.warn('database unreachable; jobs are held until it is back'),
    });
    closers.push(async () => dependencies.close());

    let transport: Transport;
    const queueOpts = {
      maxAttempts: settings.QUEUE_MAX_ATTEMPTS,
      retryDelaysMs: settings.QUEUE_RETRY_DELAYS_MS,
      dependencies,
      log,
    };
    if (settings.AMQP_URL) {
      transport = createAmqpTransport({
        ...queueOpts,
        url: amqpUrls(settings.AMQP_URL),
        prefix: settings.QUEUE_PREFIX,
        prefetch: settings.QUEUE_PREFETCH,
      });
    } else {
      if (!o.allowEmbedded)
        throw new ConfigError([{ setting: 'AMQP_URL', message: `required to run ${o.service} on its own` }]);
      transport = createMemoryTransport(queueOpts);
      embedded = true;
    }
    closers.push(() => transport.close());
    // Every handler measured (consume lag, outcome, duration) and the outbox backlog on /metrics, in every service.
    transport = instrumentTransport(transport, { registry, prisma, log });
    registerOutboxMetrics({ registry, prisma, log });

    const store = createStoreFromSettings(settings, o.downloadSigningSecret);
    return {
      settings,
      log,
      registry,
      prisma,
      databaseUrl,
      store,
      transport,
      embedded,
      releaseHeldJobs: () => dependencies.close(),
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

export function createStoreFromSettings(settings: Settings, downloadSigningSecret?: string): ObjectStore {
  if (settings.S3_BUCKET) {
    return createS3Store({
      endpoint: settings.S3_ENDPOINT,
      region: settings.S3_REGION,
      bucket: settings.S3_BUCKET,
      accessKeyId: settings.S3_ACCESS_KEY_ID,
      secretAccessKey: settings.S3_SECRET_ACCESS_KEY,
      forcePathStyle: settings.S3_FORCE_PATH_STYLE,
    });
  }
  if (!downloadSigningSecret) {
    throw new ConfigError([
      { setting: 'S3_BUCKET', message: 'required unless the process can sign local downloads (gateway or all-in-one)' },
    ]);
  }
  return createLocalStore({
    root: path.resolve(settings.DATA_DIR, 'storage'),
    publicUrl: publicUrl(settings),
    signingSecret: downloadSigningSecret,
  });
}

/** Local-disk download URLs are signed with a key derived from the JWT secret, so there is one secret to manage. */
export const deriveDownloadSecret = (jwtSecret: string): string =>
  createHmac('sha256', jwtSecret).update('pixmill local download signing').digest('hex');

/**
 * Stops a service that would otherwise fail on its first query (`The table public.users does not exist`) with a
 * message saying how to migrate. A database that cannot be reached is not judged here: the service starts and
 * waits for it, as it does for an outage.
 */
async function refuseUnmigrated(databaseUrl: string, log: Logger): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(databaseUrl);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!isDatabaseUnavailable(err) && !(typeof code === 'string' && /^E[A-Z]+$/.test(code))) throw err;
    log.warn({ err: (err as Error).message }, 'database unreachable at start: migrations not checked');
    return;
  }
  if (pending.length === 0) return;
  const names = pending.length > 3 ? `${pending.slice(0, 3).join(', ')}, ...` : pending.join(', ');
  throw new ConfigError([
    {
      setting: 'DATABASE_URL',
      message:
        `the database is missing ${pending.length} migration(s) (${names}): apply them with \`pnpm db:migrate\` ` +
        '(with DATABASE_URL set; in Kubernetes the pixmill-migrate Job, with compose the migrate service), ' +
        'or set MIGRATE_ON_START=true',
    },
  ]);
}

/** Closes in reverse order of opening, never stopping at the first failure. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch {
      // Shutting down: a client that fails to close is not worth failing the rest over.
    }
  }
  closers.length = 0;
}

/**
 * Every process that writes outbox rows also relays them (several relays share the table safely), woken by NOTIFY
 * on each commit and polling as the fallback.
 */
export function startRelay(c: Pick<Clients, 'prisma' | 'databaseUrl' | 'transport' | 'log' | 'settings'>): OutboxRelay {
  return startOutboxRelay({
    prisma: c.prisma,
    transport: c.transport,
    pollMs: c.settings.OUTBOX_POLL_MS,
    log: c.log,
    listenUrl: c.databaseUrl,
  });
}
