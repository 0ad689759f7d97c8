// A chunk's image rows as its manifest describes them: one per URL of each row, with the row's cells by column.
import type { NewChunkImage } from '@pixmill/batch-state';
import type { ChunkManifest } from '@pixmill/contracts';
import { MAX_URL_CHARS } from './fetch-original';

export function chunkImageRows(manifest: ChunkManifest, columns: readonly string[]): NewChunkImage[] {
  return manifest.rows.flatMap((r) => {
    const sourceRow = rowObject(columns, r.cells);
    return r.urls.map((u, urlIndex) => ({
      rowNumber: r.row,
      urlIndex,
      // Kept whole up to the limit (the fetch refuses longer ones), so errors can show what was sent.
      sourceUrl: u.url.slice(0, MAX_URL_CHARS + 1),
      sourceRow,
    }));
  });
}

/** The CSV row as `{ column: value }`; unnamed or repeated columns get a unique name so no value is lost. */
export function rowObject(columns: readonly string[], cells: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const width = Math.max(columns.length, cells.length);
  for (let i = 0; i < width; i++) {
    const base = columns[i]?.trim() || `column_${i + 1}`;
    let name = base;
    for (let n = 2; name in out; n++) name = `${base}_${n}`;
    out[name] = cells[i] ?? '';
  }
  return out;
}
