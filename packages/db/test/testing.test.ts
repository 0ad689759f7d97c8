import pg from 'pg';
import { createTestDatabase } from '@pixmill/db/testing';
import { MIGRATIONS_TABLE } from '../src/migrate';
import { readMigrationFiles } from '../src/migration-files';

async function databaseExists(url: string): Promise<boolean> {
  const name = new URL(url).pathname.slice(1);
  const base = new URL(url);
  base.pathname = '/postgres';
  const client = new pg.Client({ connectionString: base.toString() });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase (@pixmill/db/testing)', () => {
  it('gives each caller its own migrated database, and drop() removes it', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.url).not.toBe(b.url);
      const applied = await a.prisma.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM "${MIGRATIONS_TABLE}"`);
      expect(applied.map((r) => r.name)).toEqual(readMigrationFiles().map((f) => f.name));

      await a.prisma.user.create({ data: { username: 'only-in-a', passwordHash: 'x' } });
      expect(await a.prisma.user.count()).toBe(1);
      expect(await b.prisma.user.count()).toBe(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    expect(await databaseExists(a.url)).toBe(false);
    expect(await databaseExists(b.url)).toBe(false);
  });

  it('drops the database even while other connections are open', async () => {
    const db = await createTestDatabase();
    const stray = new pg.Client({ connectionString: db.url });
    stray.on('error', () => {});
    await stray.connect();
    await db.drop();
    expect(await databaseExists(db.url)).toBe(false);
    await stray.end().catch(() => {});
  });
});
