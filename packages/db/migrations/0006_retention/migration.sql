-- Retention of originals and outputs: a batch's own override, and when housekeeping expired each kind.
ALTER TABLE "batches" ADD COLUMN "retention" JSONB;
ALTER TABLE "batches" ADD COLUMN "originals_expired_at" TIMESTAMPTZ(3);
ALTER TABLE "batches" ADD COLUMN "outputs_expired_at" TIMESTAMPTZ(3);
CREATE INDEX "batches_completed_at_idx" ON "batches"("completed_at");
