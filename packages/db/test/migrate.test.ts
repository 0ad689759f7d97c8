import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, MigrationChecksumError, MIGRATIONS_TABLE } from '../src/migrate';
import { MIGRATIONS_DIR, readMigrationFiles } from '../src/migration-files';
import { createEmptyDatabase } from './helpers/empty-database';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A private copy of the real migrations that a test may edit. */
function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pixmill-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

describe('migrate', () => {
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  beforeEach(async () => {
    db = await createEmptyDatabase();
    dir = copyMigrations();
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration to an empty database, records it, and a second run applies nothing', async () => {
    const names = readMigrationFiles().map((f) => f.name);
    expect(names[0]).toBe('0001_init');
    const logged: string[] = [];
    expect(await migrate(db.url, (m) => logged.push(m))).toEqual(names);
    expect(logged).toContain('migrate: applied 0001_init');

    const recorded = await query<{ name: string; checksum: string }>(
      db.url,
      `SELECT name, checksum FROM "${MIGRATIONS_TABLE}" ORDER BY name`,
    );
    expect(recorded).toEqual(readMigrationFiles().map((f) => ({ name: f.name, checksum: f.checksum })));
    expect(await query(db.url, 'SELECT 1 FROM users')).toEqual([]);

    expect(await migrate(db.url)).toEqual([]);
  });

  // Fixture migrations are numbered 9xxx, after every real one.
  it('applies only the files added since the last run, in order', async () => {
    await migrate(db.url, undefined, { migrationsDir: dir });
    addMigration(dir, '9002_third', 'ALTER TABLE probe ADD COLUMN b INT;');
    addMigration(dir, '9001_second', 'CREATE TABLE probe (a INT);');
    expect(await migrate(db.url, undefined, { migrationsDir: dir })).toEqual(['9001_second', '9002_third']);
    const cols = await query<{ column_name: string }>(
      db.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'probe' ORDER BY column_name",
    );
    expect(cols.map((c) => c.column_name)).toEqual(['a', 'b']);
  });

  it('refuses to run when an applied file was edited, and applies nothing new', async () => {
    await migrate(db.url, undefined, { migrationsDir: dir });
    appendFileSync(join(dir, '0001_init', 'migration.sql'), '\n-- an innocent-looking edit\n');
    addMigration(dir, '9001_second', 'CREATE TABLE probe (a INT);');
    await expect(migrate(db.url, undefined, { migrationsDir: dir })).rejects.toThrow(MigrationChecksumError);
    await expect(migrate(db.url, undefined, { migrationsDir: dir })).rejects.toThrow(/0001_init was changed/);
    expect(await query(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'probe'")).toEqual([]);
  });

  it('treats CRLF line endings as the same file', async () => {
    await migrate(db.url, undefined, { migrationsDir: dir });
    const file = join(dir, '0001_init', 'migration.sql');
    const lf = readMigrationFiles(dir)[0]!.sql;
    writeFileSync(file, lf.replace(/\n/g, '\r\n'));
    expect(await migrate(db.url, undefined, { migrationsDir: dir })).toEqual([]);
  });

  it('rolls back a failing file completely and does not record it', async () => {
    await migrate(db.url, undefined, { migrationsDir: dir });
    addMigration(dir, '9001_broken', 'CREATE TABLE probe (a INT);\nSELECT no_such_function();');
    await expect(migrate(db.url, undefined, { migrationsDir: dir })).rejects.toThrow(/no_such_function/);
    expect(await query(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'probe'")).toEqual([]);
    expect(await query(db.url, `SELECT 1 FROM "${MIGRATIONS_TABLE}" WHERE name = '9001_broken'`)).toEqual([]);
  });

  it('applies each file exactly once when several processes migrate at the same time', async () => {
    addMigration(dir, '9001_counter', 'CREATE TABLE applied_count (n INT); INSERT INTO applied_count VALUES (1);');
    const runs = await Promise.all(Array.from({ length: 4 }, () => migrate(db.url, undefined, { migrationsDir: dir })));
    expect(runs.flat().sort()).toEqual([...readMigrationFiles().map((f) => f.name), '9001_counter']);
    expect(await query(db.url, 'SELECT n FROM applied_count')).toEqual([{ n: 1 }]);
  });
});
