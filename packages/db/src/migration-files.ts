// The SQL migration files in ../migrations: `NNNN_name/migration.sql`, applied in name order.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

export interface MigrationFile {
  /** Folder name, e.g. `0001_init`; also the key recorded in `_pixmill_migrations`. */
  name: string;
  sql: string;
  /** sha256 of the SQL with line endings normalised, so a CRLF checkout does not look like an edit. */
  checksum: string;
}

const NAME = /^\d{4}_[a-z0-9_]+$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readMigrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return names.map((name) => {
    if (!NAME.test(name)) throw new Error(`migration folder ${name} in ${dir} is not named NNNN_snake_case`);
    const file = join(dir, name, 'migration.sql');
    if (!existsSync(file)) throw new Error(`migration ${name} has no migration.sql`);
    const sql = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
    return { name, sql, checksum: sha256(sql) };
  });
}

/** One checksum for the whole set: names and contents in order (keys the test template database). */
export function migrationSetChecksum(files: MigrationFile[]): string {
  return sha256(files.map((f) => `${f.name}:${f.checksum}`).join('\n'));
}
