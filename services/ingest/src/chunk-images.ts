// A chunk's image rows, created once from its manifest. The chunk row is locked while checking, so two deliveries
// of the same job (a redelivery racing a slow first attempt) never create the rows twice.
import type { Prisma, PrismaClient } from '@pixmill/db';
import type { ChunkManifest } from '@pixmill/contracts';
import { MAX_URL_CHARS } from './fetch-original';

export async function ensureChunkImages(
  prisma: Pick<PrismaClient, '$transaction'>,
  chunk: { id: string; batchId: string },
  manifest: ChunkManifest,
  columns: readonly string[],
): Promise<{ created: number }> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM chunks WHERE id = ${chunk.id}::uuid FOR UPDATE`;
      if ((await tx.image.count({ where: { chunkId: chunk.id } })) > 0) return { created: 0 };
      const data: Prisma.ImageCreateManyInput[] = manifest.rows.flatMap((r) => {
        const sourceRow = rowObject(columns, r.cells);
        return r.urls.map((u, urlIndex) => ({
          batchId: chunk.batchId,
          chunkId: chunk.id,
          rowNumber: r.row,
          urlIndex,
          // Kept whole up to the limit (the fetch refuses longer ones), so errors can show what was sent.
          sourceUrl: u.url.slice(0, MAX_URL_CHARS + 1),
          sourceRow,
        }));
      });
      if (data.length > 0) await tx.image.createMany({ data });
      return { created: data.length };
    },
    { timeout: 60_000 },
  );
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
