// Duplicates within a batch: near-duplicates by perceptual hash (the `phash` analysis) and exact copies by content
// hash, the latter also against the caller's other batches.
import { z } from 'zod';
import { nearDuplicateGroups } from '@pixmill/analysis/duplicates';
import { authOf } from '../auth/auth-context';
import { BatchParams, findOwnedBatch } from '../batches/owned-batch';
import type { RouteModule } from './route-module';

const DuplicatesQuery = z.object({
  max_distance: z.coerce
    .number()
    .int()
    .min(0)
    .max(32)
    .optional()
    .describe('Most differing bits (default ANALYSIS_DUPLICATE_DISTANCE)'),
});

type HashRow = {
  id: string;
  original_name: string | null;
  source_url: string | null;
  phash: string | null;
  content_hash: string | null;
};
type ElsewhereRow = { content_hash: string; batch_id: string; image_id: string };

const DuplicateImage = z.object({
  image_id: z.uuid(),
  original_name: z.string().nullable(),
  source_url: z.string().nullable(),
  phash: z.string().nullable(),
});
const Duplicates = z.object({
  batch_id: z.uuid(),
  max_distance: z.number().int(),
  near_duplicates: z
    .array(z.object({ size: z.number().int(), images: z.array(DuplicateImage) }))
    .nullable()
    .describe('null when the batch did not ask for the `phash` analysis'),
  exact_duplicates: z.array(
    z.object({
      content_hash: z.string(),
      images: z.array(DuplicateImage),
      in_other_batches: z.array(z.object({ batch_id: z.uuid(), image_id: z.uuid() })),
    }),
  ),
});

export const duplicatesRoutes: RouteModule = ({ deps, api }) => {
  const { prisma, settings } = deps;

  api.get(
    '/api/v1/batches/:id/duplicates',
    {
      summary: 'Near-duplicate and exact duplicate images of a batch',
      description:
        '`near_duplicates`: groups of images whose perceptual hashes differ in at most `max_distance` bits (needs the ' +
        '`phash` analysis; `null` without it). `exact_duplicates`: images with the same bytes (SHA-256), within the ' +
        'batch and in your other batches.',
      tags: ['batches'],
      access: 'user',
      params: BatchParams,
      query: DuplicatesQuery,
      responses: {
        200: { description: 'The groups', schema: Duplicates },
        404: { description: 'No such batch of yours' },
      },
    },
    async (req, res) => {
      const auth = authOf(req);
      const batch = await findOwnedBatch(prisma, auth, req.valid.params.id);
      const q = req.valid.query;
      const maxDistance = q.max_distance ?? settings.ANALYSIS_DUPLICATE_DISTANCE;
      const rows = await prisma.$queryRaw<HashRow[]>`
        SELECT id::text, original_name, source_url, analysis ->> 'phash' AS phash, content_hash
          FROM images WHERE batch_id = ${batch.id}::uuid AND status = 'succeeded'
         ORDER BY row_number NULLS LAST, url_index, id`;
      const byId = new Map(rows.map((r) => [r.id, r]));
      const view = (id: string) => {
        const r = byId.get(id)!;
        return { image_id: r.id, original_name: r.original_name, source_url: r.source_url, phash: r.phash };
      };
      const asked = Array.isArray(batch.analysis) && (batch.analysis as string[]).includes('phash');
      const near = asked
        ? nearDuplicateGroups(
            rows.filter((r) => r.phash).map((r) => ({ id: r.id, phash: r.phash! })),
            maxDistance,
          ).map((ids) => ({ size: ids.length, images: ids.map(view) }))
        : null;

      const sameBytes = new Map<string, string[]>();
      for (const r of rows)
        if (r.content_hash) sameBytes.set(r.content_hash, [...(sameBytes.get(r.content_hash) ?? []), r.id]);
      const hashes = [...sameBytes.keys()];
      // The owner's other batches only (an admin's view of a batch does not search every user's images).
      const elsewhere = hashes.length
        ? await prisma.$queryRaw<ElsewhereRow[]>`
            SELECT i.content_hash, i.batch_id::text, i.id::text AS image_id
              FROM images i JOIN batches b ON b.id = i.batch_id
             WHERE i.content_hash = ANY(${hashes}::text[]) AND b.owner_id = ${batch.ownerId}::uuid
               AND b.id <> ${batch.id}::uuid AND b.deleted_at IS NULL AND i.status = 'succeeded'
             ORDER BY b.created_at DESC LIMIT 10000`
        : [];
      const other = new Map<string, { batch_id: string; image_id: string }[]>();
      for (const e of elsewhere)
        other.set(e.content_hash, [
          ...(other.get(e.content_hash) ?? []),
          { batch_id: e.batch_id, image_id: e.image_id },
        ]);
      const exact = hashes
        .filter((h) => sameBytes.get(h)!.length > 1 || other.has(h))
        .map((h) => ({ content_hash: h, images: sameBytes.get(h)!.map(view), in_other_batches: other.get(h) ?? [] }));

      res.set('Cache-Control', 'no-store').json({
        batch_id: batch.id,
        max_distance: maxDistance,
        near_duplicates: near,
        exact_duplicates: exact,
      });
    },
  );
};
