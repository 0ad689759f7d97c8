// @pixmill/db/testing: a fresh, migrated database per test file on the machine's PostgreSQL.
//
// Migrating from nothing every time is slow, so the migrations are applied once into a template database named
// after their checksum, and each test database is a copy of it (CREATE DATABASE ... TEMPLATE, milliseconds).
// Editing or adding a migration changes the checksum and so builds a new template.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPrisma } from './client';
import type { PrismaClient } from './generated/prisma/client';
import { migrate } from './migrate';
import { migrationSetChecksum, readMigrationFiles } from './migration-files';

// The loopback helpers integration tests and benchmarks share live here too.
export { freePort } from './free-port';
export { startTcpRelay, type TcpRelay } from './tcp-relay';
export { readMigrationFiles } from './migration-files';

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  /** Disconnects `prisma` and drops the database (also when other connections are still open). */
  drop(): Promise<void>;
}

// Test infrastructure address (allowed outside @pixmill/config): where the throwaway databases are created.
const baseUrl = () => process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

// Serialises template creation across jest workers and engineers on the same server.
const TEMPLATE_LOCK_KEY = '7310457723105422';

let templateReady: Promise<string> | undefined;

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await (templateReady ??= ensureTemplate().catch((err: unknown) => {
    templateReady = undefined;
    throw err;
  }));
  const name = `pixmill_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = databaseUrl(name);
  const prisma = createPrisma(url, { max: 4 });
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= (async () => {
      await prisma.$disconnect();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    })());
  return { url, prisma, drop };
}

/** A database with nothing in it, not even the migrations (for tests of what migrates it). */
export async function createEmptyTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pixmill_empty_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  return {
    url: databaseUrl(name),
    drop: () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function ensureTemplate(): Promise<string> {
  const name = `pixmill_tpl_${migrationSetChecksum(readMigrationFiles()).slice(0, 16)}`;
  return withAdmin(async (admin) => {
    await admin.query(`SELECT pg_advisory_lock(${TEMPLATE_LOCK_KEY})`);
    try {
      // A template is complete only once marked IS_TEMPLATE; a leftover from a crashed run is rebuilt.
      const { rows } = await admin.query<{ datistemplate: boolean }>(
        'SELECT datistemplate FROM pg_database WHERE datname = $1',
        [name],
      );
      if (rows[0]?.datistemplate) return name;
      if (rows[0]) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
      await migrate(databaseUrl(name));
      await admin.query(`ALTER DATABASE "${name}" IS_TEMPLATE true`);
      return name;
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(${TEMPLATE_LOCK_KEY})`);
    }
  });
}

function databaseUrl(database: string): string {
  const url = new URL(baseUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: baseUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
