-- AlterTable
ALTER TABLE "chunks" ADD COLUMN     "url_count" INTEGER NOT NULL DEFAULT 0;

-- Chunks made before the count was kept: their images once started, else their rows (one URL each in a url column).
UPDATE "chunks" c SET "url_count" = COALESCE(
  NULLIF((SELECT count(*) FROM "images" i WHERE i."chunk_id" = c."id"), 0),
  c."row_count"
);
