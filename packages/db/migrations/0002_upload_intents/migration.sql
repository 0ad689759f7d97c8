-- CreateTable
CREATE TABLE "upload_intents" (
    "batch_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upload_intents_pkey" PRIMARY KEY ("batch_id")
);

-- CreateIndex
CREATE INDEX "upload_intents_started_at_idx" ON "upload_intents"("started_at");
