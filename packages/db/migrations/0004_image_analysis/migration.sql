-- CreateEnum
CREATE TYPE "AnalysisStatus" AS ENUM ('pending', 'done');

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "analyses_pending" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "analysis" JSONB;

-- AlterTable
ALTER TABLE "images" ADD COLUMN     "analysis" JSONB,
ADD COLUMN     "analysis_status" "AnalysisStatus",
ADD COLUMN     "has_contact" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "has_store_name" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "images_content_hash_idx" ON "images"("content_hash");
