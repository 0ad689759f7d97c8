// What a database built from a Prisma schema must contain, read from the schema's DMMF and the naming, type and
// default rules Prisma's schema engine uses for PostgreSQL.
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import type { ColumnShape, ForeignKeyShape, IndexShape, SchemaShape } from './schema-shape';

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}
interface Dmmf {
  datamodel: {
    enums: { name: string; dbName: string | null; values: { name: string; dbName: string | null }[] }[];
    models: DmmfModel[];
    indexes: DmmfIndex[];
  };
}

const PG_MAX_IDENTIFIER = 63;
const ACTION: Record<string, string> = { Cascade: 'c', Restrict: 'r', NoAction: 'a', SetNull: 'n', SetDefault: 'd' };
const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Decimal: 'numeric',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
};
const NATIVE_UDT: Record<string, string> = {
  Uuid: 'uuid',
  Text: 'text',
  VarChar: 'varchar',
  Char: 'bpchar',
  Citext: 'citext',
  SmallInt: 'int2',
  Integer: 'int4',
  Real: 'float4',
  DoublePrecision: 'float8',
  Timestamptz: 'timestamptz',
  Timestamp: 'timestamp',
  Date: 'date',
  Time: 'time',
  Timetz: 'timetz',
  Json: 'json',
  JsonB: 'jsonb',
};
// Defaults Prisma computes in the client, so the column has none.
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

export function expectedSchema(prismaSchema: string): SchemaShape {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;
  const { enums, models, indexes } = dmmf.datamodel;
  const enumDbName = new Map(enums.map((e) => [e.name, e.dbName ?? e.name]));
  const tableOf = new Map(models.map((m) => [m.name, m.dbName ?? m.name]));
  const column = (model: DmmfModel, field: string) => {
    const f = model.fields.find((x) => x.name === field);
    if (!f) throw new Error(`${model.name}.${field} not found`);
    return f.dbName ?? f.name;
  };

  const shape: SchemaShape = { enums: {}, tables: {}, indexes: {}, foreignKeys: {} };
  for (const e of enums) shape.enums[e.dbName ?? e.name] = e.values.map((v) => v.dbName ?? v.name);

  for (const model of models) {
    const table = tableOf.get(model.name)!;
    const columns: Record<string, ColumnShape> = {};
    for (const f of model.fields) {
      if (f.kind === 'object') {
        if (f.relationFromFields?.length) {
          const from = f.relationFromFields.map((x) => column(model, x));
          const target = models.find((m) => m.name === f.type)!;
          const fk: ForeignKeyShape = {
            table,
            columns: from,
            refTable: tableOf.get(f.type)!,
            refColumns: (f.relationToFields ?? []).map((x) => column(target, x)),
            onDelete: ACTION[f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull')]!,
            onUpdate: ACTION[f.relationOnUpdate ?? 'Cascade']!,
          };
          shape.foreignKeys[constraintName(table, from, '_fkey')] = fk;
        }
        continue;
      }
      const udt = f.kind === 'enum' ? enumDbName.get(f.type)! : udtOf(f);
      columns[f.dbName ?? f.name] = {
        type: f.isList ? `_${udt}` : udt,
        // Prisma creates list columns without NOT NULL.
        nullable: f.isList || !f.isRequired,
        precision: udt.startsWith('timestamp') || udt.startsWith('time') ? Number(f.nativeType?.[1][0] ?? 3) : null,
        default: defaultOf(f, table, f.dbName ?? f.name, udt),
      };
    }
    shape.tables[table] = columns;
  }

  for (const idx of indexes) {
    if (idx.type === 'fulltext') throw new Error('fulltext indexes are not supported on PostgreSQL');
    const model = models.find((m) => m.name === idx.model)!;
    const table = tableOf.get(idx.model)!;
    const cols = idx.fields.map((f) => column(model, f.name));
    const suffix = idx.type === 'id' ? '_pkey' : idx.type === 'unique' ? '_key' : '_idx';
    const name = idx.dbName ?? (idx.type === 'id' ? `${table}_pkey` : constraintName(table, cols, suffix));
    const index: IndexShape = {
      table,
      columns: cols,
      descending: idx.fields.map((f) => f.sortOrder === 'desc'),
      unique: idx.type !== 'normal',
      primary: idx.type === 'id',
    };
    shape.indexes[name] = index;
  }
  return shape;
}

// Prisma's default names: <table>_<columns>_<suffix>, cut to Postgres' identifier length.
function constraintName(table: string, columns: string[], suffix: string): string {
  return `${table}_${columns.join('_')}`.slice(0, PG_MAX_IDENTIFIER - suffix.length) + suffix;
}

function udtOf(f: DmmfField): string {
  const native = f.nativeType?.[0];
  const udt = native ? NATIVE_UDT[native] : SCALAR_UDT[f.type];
  if (!udt) throw new Error(`no Postgres type known for ${f.name}: ${f.type} ${native ?? ''}`);
  return udt;
}

function defaultOf(f: DmmfField, table: string, column: string, udt: string): string | null {
  if (!f.hasDefaultValue) return null;
  const d = f.default;
  if (typeof d === 'object' && d !== null && 'name' in d) {
    const fn = (d as { name: string }).name;
    if (CLIENT_SIDE_DEFAULTS.has(fn)) return null;
    if (fn === 'now') return 'CURRENT_TIMESTAMP';
    if (fn === 'autoincrement') return `nextval('${table}_${column}_seq'::regclass)`;
    throw new Error(`default ${fn}() of ${table}.${column} is not handled by this check`);
  }
  if (f.kind === 'enum') return `'${String(d)}'::${/^[a-z_][a-z0-9_]*$/.test(udt) ? udt : `"${udt}"`}`;
  if (typeof d === 'number' || typeof d === 'boolean') return String(d);
  if (typeof d === 'string' && udt === 'text') return `'${d.replace(/'/g, "''")}'::text`;
  throw new Error(`default ${JSON.stringify(d)} of ${table}.${column} is not handled by this check`);
}
