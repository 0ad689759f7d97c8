// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (also run as the Kubernetes migration Job).
import { loadSettings } from '@pixmill/config';
import { migrate } from './migrate';

async function main(): Promise<number> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL) {
    console.error(
      'DATABASE_URL is not set: nothing to migrate (the embedded database is migrated when pixmill starts).',
    );
    return 1;
  }
  const applied = await migrate(settings.DATABASE_URL, (msg) => console.log(msg));
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'nothing to apply');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
