// `pnpm --filter @pixmill/db migration:new <name>`: writes migrations/NNNN_<name>/migration.sql with the SQL that
// takes a database built from the existing migrations to prisma/schema.prisma. Review the file before committing
// (renames come out as drop + add). Needs the PostgreSQL of TEST_DATABASE_URL (default: the local one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, readMigrationFiles } from './migration-files';
import { diffDatabaseToSchema } from './schema-diff';
import { createTestDatabase } from './testing';

async function main(): Promise<number> {
  const name = process.argv[2] ?? '';
  if (!/^[a-z0-9_]+$/.test(name)) {
    console.error('usage: migration:new <snake_case_name>');
    return 1;
  }
  const db = await createTestDatabase();
  let script: string;
  try {
    script = await diffDatabaseToSchema(db.url);
  } finally {
    await db.drop();
  }
  if (!script) {
    console.log('The migrations already build prisma/schema.prisma: nothing to write.');
    return 0;
  }
  const last = readMigrationFiles().at(-1)?.name ?? '0000';
  const folder = `${String(Number(last.slice(0, 4)) + 1).padStart(4, '0')}_${name}`;
  mkdirSync(join(MIGRATIONS_DIR, folder));
  writeFileSync(join(MIGRATIONS_DIR, folder, 'migration.sql'), script.endsWith('\n') ? script : `${script}\n`);
  console.log(`wrote migrations/${folder}/migration.sql:\n\n${script}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
