// Statements are prepared once per connection and then only executed; the set of names stays bounded.
import { createPrisma } from '../src';
import { preparedStatementNames } from '../src/prepared-statements';
import { createTestDatabase, type TestDatabase } from '../src/testing';

describe('preparedStatementNames', () => {
  it('gives one stable name per SQL text and different texts different names', () => {
    const a = preparedStatementNames(10)!;
    const b = preparedStatementNames(10)!;
    const select = { sql: 'SELECT 1' };
    expect(a(select)).toMatch(/^pixmill_[\w-]+$/);
    expect(a({ sql: 'SELECT 1' })).toBe(a(select));
    // Another process (or generator) names the same text the same way.
    expect(b(select)).toBe(a(select));
    expect(a({ sql: 'SELECT 2' })).not.toBe(a(select));
  });

  it('names only the first `limit` texts and keeps naming those', () => {
    const name = preparedStatementNames(2)!;
    const first = name({ sql: 'SELECT $1' });
    name({ sql: 'SELECT $1, $2' });
    expect(name({ sql: 'SELECT $1, $2, $3' })).toBeUndefined();
    expect(name({ sql: 'SELECT $1' })).toBe(first);
  });

  it('leaves texts with a parameter list unnamed (their text changes with the list length)', () => {
    const name = preparedStatementNames(10)!;
    expect(name({ sql: 'UPDATE "t" SET "a" = $1 WHERE "t"."id" IN ($2,$3,$4)' })).toBeUndefined();
    expect(name({ sql: 'UPDATE "t" SET "a" = $1 WHERE "t"."id" IN ($2)' })).toMatch(/^pixmill_/);
    expect(name({ sql: 'SELECT * FROM t WHERE id = ANY($1::uuid[])' })).toMatch(/^pixmill_/);
  });

  it('is off with a limit of 0', () => {
    expect(preparedStatementNames(0)).toBeUndefined();
  });
});

describe('createPrisma against PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const prepared = async (preparedStatements?: number) => {
    const prisma = createPrisma(db.url, {
      max: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    });
    try {
      for (const n of [1, 2, 3]) {
        const rows = await prisma.$queryRaw<{ n: number }[]>`SELECT ${n}::int + 1 AS n`;
        expect(rows).toEqual([{ n: n + 1 }]);
      }
      // The one pooled connection: what it has prepared.
      const rows = await prisma.$queryRaw<{ name: string; statement: string }[]>`
        SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + 1 AS n%'`;
      return rows;
    } finally {
      await prisma.$disconnect();
    }
  };

  it('prepares a repeated statement once, under its name, and answers each call with its own arguments', async () => {
    const rows = await prepared();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.name).toMatch(/^pixmill_/);
  });

  it('prepares nothing when turned off', async () => {
    expect(await prepared(0)).toEqual([]);
  });
});
