// @pixmill/db: the Prisma client (types, enums, Prisma namespace), how to build it, migrations, the embedded database.
export * from './generated/prisma/client';
export { createPrisma, type CreatePrismaOptions } from './client';
export { isDatabaseUnavailable } from './unavailable';
export { migrate, pendingMigrations, MigrationChecksumError, MIGRATIONS_TABLE, type MigrateOptions } from './migrate';
export { hasEmbeddedDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded';
