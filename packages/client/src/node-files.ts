// Node only: files and folders as Blobs read from disk when sent (fs.openAsBlob), so a folder of photos is never
// held in memory.
import { openAsBlob } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|avif|gif|tiff?)$/i;

/** The image files among `paths`, folders walked (recursively, in name order), as named Blobs. */
export async function filesFromPaths(paths: string[]): Promise<{ name: string; blob: Blob; bytes: number }[]> {
  const out: { name: string; blob: Blob; bytes: number }[] = [];
  const visit = async (p: string, explicit: boolean) => {
    const s = await stat(p);
    if (s.isDirectory()) {
      const names = (await readdir(p)).sort();
      for (const n of names) await visit(path.join(p, n), false);
    } else if (s.isFile() && (explicit || IMAGE_EXTENSIONS.test(p))) {
      out.push({ name: path.basename(p), blob: await openAsBlob(p), bytes: s.size });
    }
  };
  for (const p of paths) await visit(p, true);
  return out;
}

export async function fileBlob(p: string): Promise<{ name: string; blob: Blob }> {
  return { name: path.basename(p), blob: await openAsBlob(p) };
}
