// The migrations must build exactly what prisma/schema.prisma describes: editing one without the other fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../src/testing';
import { databaseSchema } from './helpers/database-schema';
import { expectedSchema } from './helpers/expected-schema';

const schemaText = readFileSync(join(__dirname, '..', 'prisma', 'schema.prisma'), 'utf8');

describe('migrated database vs Prisma schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('has every enum, table, column, index, unique and foreign key of the schema, and nothing else', async () => {
    const expected = expectedSchema(schemaText);
    const actual = await databaseSchema(db.url);
    expect(actual).toEqual(expected);
  });

  it('spot checks: the DESC index, the BIGSERIAL id, cascade and set-null foreign keys, the uuid[] column', async () => {
    const actual = await databaseSchema(db.url);
    expect(actual.indexes['batches_owner_id_created_at_idx']).toEqual({
      table: 'batches',
      columns: ['owner_id', 'created_at'],
      descending: [false, true],
      unique: false,
      primary: false,
    });
    expect(actual.tables['outbox_messages']?.['id']?.default).toBe("nextval('outbox_messages_id_seq'::regclass)");
    expect(actual.foreignKeys['images_chunk_id_fkey']?.onDelete).toBe('n');
    expect(actual.foreignKeys['images_batch_id_fkey']?.onDelete).toBe('c');
    expect(actual.tables['export_logs']?.['batch_ids']?.type).toBe('_uuid');
  });

  it('notices a schema edited without a migration', async () => {
    const edited = schemaText.replace('  worker      String?', '  worker      String?\n  hostname    String?');
    expect(edited).not.toBe(schemaText);
    const expected = expectedSchema(edited);
    expect(expected.tables['chunks']?.['hostname']).toBeDefined();
    expect(await databaseSchema(db.url)).not.toEqual(expected);
  });

  it('notices a database that drifted from the schema', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('DROP INDEX "images_status_started_at_idx"');
      await client.query('ALTER TABLE "batches" ALTER COLUMN "name" SET NOT NULL');
    } finally {
      await client.end();
    }
    const actual = await databaseSchema(db.url);
    expect(actual).not.toEqual(expectedSchema(schemaText));
    expect(actual.indexes['images_status_started_at_idx']).toBeUndefined();
    expect(actual.tables['batches']?.['name']?.nullable).toBe(false);
  });
});

describe("Prisma's schema engine on a migrated database (schema:check)", () => {
  const check = (schemaFile?: string) =>
    spawnSync(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        join(__dirname, '..', 'src', 'schema-check.cli.ts'),
        ...(schemaFile ? [schemaFile] : []),
      ],
      { encoding: 'utf8' },
    );

  it('finds nothing to change', () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('prints the missing SQL and fails for a schema edited without a migration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixmill-schema-'));
    try {
      const file = join(dir, 'schema.prisma');
      writeFileSync(file, schemaText.replace('  worker      String?', '  worker      String?\n  hostname    String?'));
      const result = check(file);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/ALTER TABLE "chunks" ADD COLUMN\s+"hostname" TEXT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
