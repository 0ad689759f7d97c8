// The dashboard's built files (packages/dashboard, built by Vite into its dist/ at install): the one HTML shell every
// page path answers with, and the hashed assets it loads. Found through the package, so the gateway's bundle and
// its deployed image (pnpm deploy copies the package's dist/) find them the same way as the source tree does.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type DashboardAssets = {
  /** dist/assets, served under /assets. */
  assetsDir: string;
  /** The page shell, or undefined when the dashboard has not been built. */
  shell(): string | undefined;
};

export function dashboardAssets(distDir = defaultDistDir()): DashboardAssets {
  const file = path.join(distDir, 'index.html');
  // Read again only when a new build replaced it (a rebuild renames every asset the shell names).
  let cached: { mtimeMs: number; html: string } | undefined;
  return {
    assetsDir: path.join(distDir, 'assets'),
    shell() {
      const stat = statSync(file, { throwIfNoEntry: false });
      if (!stat) return undefined;
      if (cached?.mtimeMs !== stat.mtimeMs) cached = { mtimeMs: stat.mtimeMs, html: readFileSync(file, 'utf8') };
      return cached.html;
    },
  };
}

function defaultDistDir(): string {
  return path.join(path.dirname(require.resolve('@pixmill/dashboard/package.json')), 'dist');
}
