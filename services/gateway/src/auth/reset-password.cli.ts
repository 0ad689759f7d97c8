// `pnpm admin:reset-password [username]`: sets a new password for the admin (ADMIN_USERNAME unless a username is
// given): ADMIN_PASSWORD when set, else a generated one printed once. Works on DATABASE_URL, or on the embedded
// database in DATA_DIR while pixmill is stopped (it is one process's alone).
import path from 'node:path';
import { loadSettings } from '@pixmill/config';
import { createPrisma, hasEmbeddedDatabase, migrate, startEmbeddedPostgres, type EmbeddedPostgres } from '@pixmill/db';
import { resetPassword } from './reset-password';

async function main(): Promise<number> {
  const settings = loadSettings();
  const username = process.argv[2] ?? settings.ADMIN_USERNAME;
  let embedded: EmbeddedPostgres | undefined;
  let url = settings.DATABASE_URL;
  if (!url) {
    const dataDir = path.resolve(settings.DATA_DIR);
    if (!hasEmbeddedDatabase(dataDir)) {
      console.error(`no embedded database in ${dataDir} (DATA_DIR): set DATA_DIR to pixmill's folder, or DATABASE_URL`);
      return 1;
    }
    try {
      embedded = await startEmbeddedPostgres(dataDir);
    } catch (err) {
      console.error(`${(err as Error).message}: stop pixmill first (the embedded database is one process's alone)`);
      return 1;
    }
    url = embedded.url;
    await migrate(url); // an older data folder gets the users table of this version
  }
  const prisma = createPrisma(url, { max: 1 });
  try {
    const done = await resetPassword(prisma, username, settings.ADMIN_PASSWORD);
    console.log(
      done.generatedPassword
        ? `new password for ${done.role} "${done.username}": ${done.generatedPassword}  (shown once)`
        : `password of ${done.role} "${done.username}" set to ADMIN_PASSWORD`,
    );
    return 0;
  } finally {
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
