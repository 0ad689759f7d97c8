// What a live database contains, read from its catalog in the same shape as expected-schema.ts.
import pg from 'pg';
import { MIGRATIONS_TABLE } from '../../src/migrate';
import type { SchemaShape } from './schema-shape';

export async function databaseSchema(url: string): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const shape: SchemaShape = { enums: {}, tables: {}, indexes: {}, foreignKeys: {} };

    const enums = await client.query<{ name: string; values: string[] }>(`
      SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    for (const e of enums.rows) shape.enums[e.name] = e.values;

    const tables = await client.query<{ name: string }>(
      `SELECT table_name::text AS name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> $1`,
      [MIGRATIONS_TABLE],
    );
    for (const t of tables.rows) shape.tables[t.name] = {};
    const columns = await client.query<{
      table: string;
      column: string;
      udt: string;
      nullable: string;
      precision: number | null;
      default: string | null;
    }>(`
      SELECT table_name::text AS table, column_name::text AS column, udt_name::text AS udt, is_nullable AS nullable,
             datetime_precision AS precision, column_default AS default
      FROM information_schema.columns WHERE table_schema = 'public'`);
    for (const c of columns.rows) {
      const table = shape.tables[c.table];
      if (!table) continue;
      table[c.column] = { type: c.udt, nullable: c.nullable === 'YES', precision: c.precision, default: c.default };
    }

    const indexes = await client.query<{
      name: string;
      table: string;
      columns: string[];
      descending: boolean[];
      unique: boolean;
      primary: boolean;
    }>(
      `
      SELECT i.relname::text AS name, c.relname::text AS table, x.indisunique AS unique, x.indisprimary AS primary,
        (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS columns,
        (SELECT array_agg((o.opt & 1) = 1 ORDER BY o.n) FROM unnest(x.indoption::int2[]) WITH ORDINALITY AS o(opt, n))
          AS descending
      FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> $1`,
      [MIGRATIONS_TABLE],
    );
    for (const { name, ...index } of indexes.rows) shape.indexes[name] = index;

    const fks = await client.query<{
      name: string;
      table: string;
      columns: string[];
      refTable: string;
      refColumns: string[];
      onDelete: string;
      onUpdate: string;
    }>(`
      SELECT con.conname::text AS name, c.relname::text AS table, r.relname::text AS "refTable",
        con.confdeltype::text AS "onDelete", con.confupdtype::text AS "onUpdate",
        (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
        (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS "refColumns"
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`);
    for (const { name, ...fk } of fks.rows) shape.foreignKeys[name] = fk;

    return shape;
  } finally {
    await client.end();
  }
}
