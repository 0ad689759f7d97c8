// Real photographs for tests and benchmarks: Debian's wallpaper packages, installed on demand (root + Debian only).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const DIRS = ['/usr/share/backgrounds', '/usr/share/wallpapers'];
const PACKAGES = ['gnome-backgrounds', 'mate-backgrounds', 'plasma-workspace-wallpapers'];

function walk(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = path.join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out = out.concat(walk(p));
    else if (/\.(jpe?g|png|webp)$/i.test(name)) out.push(p);
  }
  return out;
}

/** Paths of at least `min` photographs, sorted, so every run uses the same set. */
export function findPhotos(min: number): string[] {
  let found = DIRS.flatMap(walk);
  if (found.length < min) {
    console.log(`only ${found.length} photographs here; installing ${PACKAGES.join(', ')} from Debian's packages`);
    execFileSync('apt-get', ['install', '-y', '-q', ...PACKAGES], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    found = DIRS.flatMap(walk);
  }
  if (found.length < min) throw new Error(`need ${min} photographs, found ${found.length}`);
  return found.sort();
}
