// `pnpm --filter @pixmill/db schema:check`: asks Prisma's schema engine whether a database built from the migrations
// differs from prisma/schema.prisma (or the schema file given as argument). Exit 0 when they agree; 2 (printing the
// missing SQL) when they drift.
import { readFileSync } from 'node:fs';
import { diffDatabaseToSchema, SCHEMA_FILE } from './schema-diff';
import { createTestDatabase } from './testing';

async function main(): Promise<number> {
  const schemaText = readFileSync(process.argv[2] ?? SCHEMA_FILE, 'utf8');
  const db = await createTestDatabase();
  try {
    const script = await diffDatabaseToSchema(db.url, schemaText);
    if (!script) {
      console.log('migrations and prisma/schema.prisma agree');
      return 0;
    }
    console.error(`the migrations do not build prisma/schema.prisma; missing:\n\n${script}`);
    console.error('write the migration with: pnpm --filter @pixmill/db migration:new <name>');
    return 2;
  } finally {
    await db.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
