// The SQL that takes a live database to what prisma/schema.prisma describes, computed by Prisma's own schema engine
// (the WASM build: the native engine cannot be downloaded here). Development tool only: migrations are written
// with it, never at run time. @prisma/schema-engine-wasm must stay on the engine version of the `prisma` package.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { MIGRATIONS_TABLE } from './migrate';

export const SCHEMA_FILE = join(__dirname, '..', 'prisma', 'schema.prisma');

// Node has WebAssembly; this project's TypeScript libs (ES2023, no DOM) do not declare it.
type WasmExports = Record<string, unknown>;
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: WasmExports } }>;
  };
};

interface SchemaEngineModule {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: {
    new: (
      opts: { datamodels: [string, string][] },
      log: (msg: string) => void,
      adapter: object,
    ) => Promise<{
      diff(params: object): Promise<{ stdout: string | null }>;
      free(): void;
    }>;
  };
}

/** Returns the migration script from `databaseUrl`'s current schema to `schemaText` ('' when they agree). */
export async function diffDatabaseToSchema(databaseUrl: string, schemaText = readFileSync(SCHEMA_FILE, 'utf8')) {
  const engineModule = await loadSchemaEngine();
  const pool = charColumnsAsText(new pg.Pool({ connectionString: databaseUrl, max: 2 }));
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const files = [{ path: 'schema.prisma', content: schemaText }];
  const engine = await engineModule.SchemaEngine.new(
    { datamodels: [['schema.prisma', schemaText]] },
    () => {},
    adapter,
  );
  try {
    const { stdout } = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: dirname(SCHEMA_FILE) },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: { externalTables: [`public.${MIGRATIONS_TABLE}`], externalEnums: [] },
    });
    const script = stdout ?? '';
    return script.split('\n').some((l) => l.trim() !== '' && !l.startsWith('--')) ? script : '';
  } finally {
    engine.free();
    await pool.end();
  }
}

// The package is ESM that imports its .wasm directly, which Node cannot; instantiate the module by hand.
async function loadSchemaEngine(): Promise<SchemaEngineModule> {
  const glue = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bindings = (await import(glue)) as SchemaEngineModule;
  const wasm = readFileSync(join(dirname(glue), 'schema_engine_bg.wasm'));
  const { instance } = await wasmApi.instantiate(wasm, { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  return bindings;
}

// The engine's introspection reads pg's internal "char" columns (OID 18), which the pg adapter refuses; as text
// they are what the engine expects.
function charColumnsAsText(pool: pg.Pool): pg.Pool {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
  (pool as unknown as { query: typeof query }).query = async (...args) => {
    const result = await query(...args);
    for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  return pool;
}
