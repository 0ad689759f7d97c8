// One comparable description of a database schema, built either from the Prisma schema (what it should be)
// or from a live database's catalog (what the migrations made).

export interface ColumnShape {
  /** pg udt_name: text, uuid, int4, int8, bool, jsonb, timestamptz, an enum's name, `_uuid` for uuid[] ... */
  type: string;
  nullable: boolean;
  /** Fractional-second digits of timestamp columns, else null. */
  precision: number | null;
  /** The column default as Postgres prints it (`CURRENT_TIMESTAMP`, `'pending'::"BatchStatus"`, `nextval(...)`). */
  default: string | null;
}

export interface IndexShape {
  table: string;
  columns: string[];
  descending: boolean[];
  unique: boolean;
  primary: boolean;
}

export interface ForeignKeyShape {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  /** pg_constraint codes: a no action, r restrict, c cascade, n set null, d set default. */
  onDelete: string;
  onUpdate: string;
}

export interface SchemaShape {
  enums: Record<string, string[]>;
  tables: Record<string, Record<string, ColumnShape>>;
  /** By index name (the primary key's index is named like its constraint, `<table>_pkey`). */
  indexes: Record<string, IndexShape>;
  foreignKeys: Record<string, ForeignKeyShape>;
}
