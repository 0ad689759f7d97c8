// Pointing pixmill at a fresh, empty PostgreSQL database: the all-in-one migrates it and serves; a service run on its
// own refuses to start naming the command that migrates it, or migrates it itself with MIGRATE_ON_START.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPrisma } from '@pixmill/db';
import { createEmptyTestDatabase, freePort, readMigrationFiles } from '@pixmill/db/testing';
import { deleteQueuesWithPrefix, testAmqpUrl } from '@pixmill/queue/testing';
import { ALL_IN_ONE, startProcess } from './support/child-process';

jest.setTimeout(180_000);

const GATEWAY = 'services/gateway/src/main.ts';

async function appliedMigrations(url: string): Promise<string[]> {
  const prisma = createPrisma(url, { max: 1 });
  try {
    const rows = await prisma.$queryRawUnsafe<{ name: string }[]>('SELECT name FROM _pixmill_migrations ORDER BY name');
    return rows.map((r) => r.name);
  } finally {
    await prisma.$disconnect();
  }
}

describe('starting on an empty external database', () => {
  const every = readMigrationFiles().map((f) => f.name);
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  const prefix = `empty-${randomBytes(4).toString('hex')}`;
  beforeEach(async () => {
    db = await createEmptyTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-empty-db-'));
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterAll(() => deleteQueuesWithPrefix(prefix).catch(() => undefined));

  it('pnpm start migrates it and serves: the admin logs in', async () => {
    const port = await freePort();
    const p = startProcess(ALL_IN_ONE, {
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      ADMIN_PASSWORD: 'empty-db-admin-password',
      LOG_LEVEL: 'warn',
    });
    try {
      await p.waitForOutput(/pixmill is listening/);
      expect(await appliedMigrations(db.url)).toEqual(every);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'empty-db-admin-password' }),
      });
      expect(login.status).toBe(200);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  const gatewayEnv = (port: number, extra: Record<string, string> = {}) => ({
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    AMQP_URL: testAmqpUrl(),
    QUEUE_PREFIX: prefix,
    JWT_SECRET: 'empty-db-jwt-secret-0123456789abcdef-0123',
    ADMIN_PASSWORD: 'empty-db-admin-password',
    ...extra,
  });

  it('the gateway alone stops with a message naming pnpm db:migrate, and changes nothing', async () => {
    const p = startProcess(GATEWAY, gatewayEnv(await freePort()));
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('DATABASE_URL: the database is missing');
    expect(p.output()).toContain('`pnpm db:migrate`');
    expect(p.output()).toContain('MIGRATE_ON_START=true');
    expect(p.output()).not.toMatch(/does not exist|at .*\.ts:\d+/); // no Prisma error, no stack trace
    await expect(appliedMigrations(db.url)).rejects.toThrow(/_pixmill_migrations.*does not exist/);
  });

  it('the gateway alone with MIGRATE_ON_START=true migrates it and becomes ready', async () => {
    const port = await freePort();
    const p = startProcess(GATEWAY, gatewayEnv(port, { MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn' }));
    try {
      await p.waitForStatus(`http://127.0.0.1:${port}/readyz`);
      expect(await appliedMigrations(db.url)).toEqual(every);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});
