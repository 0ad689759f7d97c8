// Applies the SQL migration files in order, each in its own transaction, and records them in _pixmill_migrations.
import pg from 'pg';
import { readMigrationFiles, type MigrationFile } from './migration-files';

export const MIGRATIONS_TABLE = '_pixmill_migrations';

// Any fixed 64-bit number: the transaction-level advisory lock that serialises migrators (pods, jest workers).
const LOCK_KEY = '7310457723105421';

export class MigrationChecksumError extends Error {
  constructor(readonly migration: string) {
    super(
      `migration ${migration} was changed after it was applied; add a new migration instead of editing an applied one`,
    );
    this.name = 'MigrationChecksumError';
  }
}

export interface MigrateOptions {
  /** Folder of `NNNN_name/migration.sql` files (default: the package's migrations/). */
  migrationsDir?: string;
}

/**
 * Applies every migration not yet applied and returns the names it applied (empty when up to date).
 * Throws MigrationChecksumError, before applying anything, if an applied file has changed.
 * Safe to run from several processes at once: each file's transaction first takes an advisory lock
 * and re-reads what is applied, so a file is applied exactly once and the others skip it.
 * A file must not contain BEGIN/COMMIT nor statements that cannot run in a transaction.
 */
export async function migrate(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
  opts: MigrateOptions = {},
): Promise<string[]> {
  const files = readMigrationFiles(opts.migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  // Without a listener a dropped idle connection would crash the process; the failing query reports it anyway.
  client.on('error', (err) => log(`migrate: connection error: ${err.message}`));
  await client.connect();
  try {
    await inLockedTransaction(client, async () => {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
           name TEXT PRIMARY KEY,
           checksum TEXT NOT NULL,
           applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const applied = await appliedChecksums(client);
      for (const f of files) verifyUnchanged(f, applied);
      const known = new Set(files.map((f) => f.name));
      for (const name of applied.keys()) {
        if (!known.has(name))
          log(`migrate: ${name} is applied but has no file here (newer code migrated this database?)`);
      }
    });

    const done: string[] = [];
    for (const f of files) {
      const applied = await inLockedTransaction(client, async () => {
        const current = await appliedChecksums(client, f.name);
        if (current.has(f.name)) {
          verifyUnchanged(f, current);
          return false;
        }
        await client.query(f.sql);
        await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum) VALUES ($1, $2)`, [f.name, f.checksum]);
        return true;
      });
      if (applied) {
        log(`migrate: applied ${f.name}`);
        done.push(f.name);
      }
    }
    if (done.length === 0) log('migrate: database is up to date');
    return done;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The migration files not yet applied to the database (all of them when it has never been migrated), without
 * changing anything. Throws MigrationChecksumError if an applied file has changed.
 */
export async function pendingMigrations(databaseUrl: string, opts: MigrateOptions = {}): Promise<string[]> {
  const files = readMigrationFiles(opts.migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // the failing query reports a dropped connection
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string | null }>(`SELECT to_regclass($1) AS table`, [
      `"${MIGRATIONS_TABLE}"`,
    ]);
    const applied = rows[0]?.table ? await appliedChecksums(client) : new Map<string, string>();
    for (const f of files) verifyUnchanged(f, applied);
    return files.filter((f) => !applied.has(f.name)).map((f) => f.name);
  } finally {
    await client.end().catch(() => {});
  }
}

async function inLockedTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function appliedChecksums(client: pg.Client, name?: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    name === undefined
      ? `SELECT name, checksum FROM "${MIGRATIONS_TABLE}"`
      : `SELECT name, checksum FROM "${MIGRATIONS_TABLE}" WHERE name = $1`,
    name === undefined ? [] : [name],
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

function verifyUnchanged(f: MigrationFile, applied: Map<string, string>): void {
  const checksum = applied.get(f.name);
  if (checksum !== undefined && checksum !== f.checksum) throw new MigrationChecksumError(f.name);
}
