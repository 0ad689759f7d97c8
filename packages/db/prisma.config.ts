// Prisma CLI settings. The native schema engine cannot be downloaded here (and is not needed for `generate`),
// so it is pointed at /bin/false; migrations are SQL files applied by src/migrate.ts.
import { defineConfig } from 'prisma/config';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/false';

export default defineConfig({
  schema: 'prisma/schema.prisma',
});
