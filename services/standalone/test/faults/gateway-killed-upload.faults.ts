// Scenario 5 of issue 8: the gateway killed (-9) in the middle of a multipart upload of 200 images.
//
// What "cleaned" means here: an upload batch is created in one transaction (batch, images, jobs in the outbox)
// only after its last file is stored, so a request cut short leaves no batch at all — nothing `processing`, nothing
// for a worker, nothing in the API. The files it had already streamed stay in storage under a batch id that never
// existed; the suite counts them (the product has no sweep for such objects). The client's retry with the same
// Idempotency-Key after the restart then makes exactly one batch, which completes. A URL batch submitted before
// the kill keeps flowing while the gateway is down (workers relay their own outbox rows).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startFaultStack, type FaultStack } from './support/fault-stack';
import {
  batchFields,
  submitUploadBatch,
  submitUrlBatch,
  uploadFiles,
  uploadForm,
  type SubmittedBatch,
} from './support/fault-batches';
import { listObjects } from './support/s3-listing';
import { ABANDONED_AFTER_MS, removeAbandonedUploads } from '@pixmill/gateway/testing';
import { expectNothingLost, finishScenario, sleep, until } from './support/scenario';

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

/** Sends a multipart body in small pieces; `cut(sentBytes)` decides when to stop sending. Resolves with how it ended. */
async function slowUpload(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  cut: (sent: number) => Promise<boolean>,
): Promise<{ sent: number; outcome: string }> {
  return new Promise((resolve) => {
    let sent = 0;
    let settled = false;
    const done = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve({ sent, outcome });
    };
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': body.length } });
    req.on('response', (res) => {
      res.resume();
      done(`answered ${res.statusCode}`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(`request failed: ${err.code ?? err.message}`));
    void (async () => {
      const piece = 8 * 1024;
      while (sent < body.length && !settled) {
        if (await cut(sent)) return; // stop sending; the connection stays open until the server goes away
        const chunk = body.subarray(sent, sent + piece);
        sent += chunk.length;
        await new Promise<void>((r) => (req.write(chunk) ? r() : req.once('drain', () => r())));
        await sleep(2);
      }
      if (!settled) req.end();
    })();
  });
}

it('gateway killed -9 mid-upload: no batch is left half made; the retried upload completes once', async () => {
  stack = await startFaultStack();
  const s = stack;
  await s.startAll({ resizeWorkers: 1 });

  const startedAt = Date.now();
  const urls = await submitUrlBatch(s, { name: 's5-urls', count: 50 });
  const files = await uploadFiles('s5-upload', 200, 4);
  const idempotencyKey = `s5-${randomUUID()}`;
  const request = new Request(`${s.gatewayUrl}/api/v1/batches`, {
    method: 'POST',
    body: uploadForm(files, batchFields(s, 's5-upload')),
  });
  const body = Buffer.from(await request.arrayBuffer());
  const contentType = request.headers.get('content-type')!;
  // Originals of the upload being streamed (the URL batch's are under its own id).
  const streamed = async () =>
    [...(await listObjects(s.s3, 'originals/')).keys()].filter((k) => !k.startsWith(`originals/${urls.batchId}/`))
      .length;

  // Half the body sent and some files already in storage: then the gateway dies.
  const gateway = s.procs.get('gateway')!;
  let killedAt = 0;
  const upload = await slowUpload(
    `${s.gatewayUrl}/api/v1/batches`,
    { ...s.auth(), 'content-type': contentType, 'idempotency-key': idempotencyKey },
    body,
    async (sent) => {
      if (sent < body.length / 2) return false;
      await until('20 streamed files in storage', async () => (await streamed()) >= 20, 30_000, 50);
      await gateway.kill9();
      killedAt = Date.now();
      return true;
    },
  );
  expect(upload.outcome).toMatch(/^request failed/);
  expect(upload.sent).toBeLessThan(body.length);

  // Nothing half made: the only batch is the URL batch; no jobs for anything else; the orphaned files are counted.
  const batchesAfterKill = await s.prisma.batch.findMany({ select: { id: true } });
  expect(batchesAfterKill.map((b) => b.id)).toEqual([urls.batchId]);
  expect(await s.prisma.image.count({ where: { batchId: { not: urls.batchId } } })).toBe(0);
  const foreignJobs = await s.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM outbox_messages WHERE payload->>'batchId' IS DISTINCT FROM ${urls.batchId}`;
  expect(Number(foreignJobs[0]?.n)).toBe(0);
  const orphanKeys = [...(await listObjects(s.s3, 'originals/')).keys()].filter(
    (k) => !k.startsWith(`originals/${urls.batchId}/`),
  );
  expect(orphanKeys.length).toBeGreaterThan(0);
  const orphanBatchIds = new Set(orphanKeys.map((k) => k.split('/')[1]));
  // The cut upload left its intent: the gateway's housekeeping finds what it stored without listing the bucket.
  const intents = await s.prisma.uploadIntent.findMany({ select: { batchId: true } });
  expect(intents.map((i) => i.batchId).sort()).toEqual([...orphanBatchIds].sort());

  // The operator's restart, and the client's retry with the same key: one batch, created now. Meanwhile the URL
  // batch flowed on without the gateway.
  const urlProcessed = async () =>
    (await s.prisma.batch.findUniqueOrThrow({ where: { id: urls.batchId } })).processedImages;
  const urlProcessedAtKill = await urlProcessed();
  await s.start('gateway', 'gateway');
  const servingAfter = (Date.now() - killedAt) / 1000;
  const urlProcessedWhileDown = (await urlProcessed()) - urlProcessedAtKill;
  const retried = await submitUploadBatch(s, { name: 's5-upload', files, idempotencyKey });
  const batches: SubmittedBatch[] = [urls, retried];
  expect(orphanBatchIds.has(retried.batchId)).toBe(false);

  const result = await finishScenario(s, {
    n: 5,
    title: 'gateway killed (-9) during a multipart upload of 200 images',
    fault: `SIGKILL of the gateway after ${Math.round(upload.sent / 1024)} of ${Math.round(body.length / 1024)} KB were sent; restarted, client retried with its Idempotency-Key`,
    batches,
    startedAt,
    recovery: () => Math.round(servingAfter * 10) / 10,
    recoveryMeasure: 'kill → gateway serving again (restarted at once); the retried upload then got 201',
    notes: async () => ({
      batches_left_by_the_cut_upload: batchesAfterKill.length - 1,
      orphaned_original_objects: orphanKeys.length,
      orphaned_under_batch_ids: orphanBatchIds.size,
      url_batch_images_processed_while_gateway_down: urlProcessedWhileDown,
      batches_with_the_idempotency_key: await s.prisma.batch.count({ where: { idempotencyKey } }),
    }),
  });
  expectNothingLost(result);

  // Housekeeping once the upload is given up for lost (its clock moved past ABANDONED_AFTER_MS): the cut upload's
  // files go, the batches' own stay.
  const later = new Date(Date.now() + ABANDONED_AFTER_MS + 60_000);
  const swept = await removeAbandonedUploads({ prisma: s.prisma, store: s.s3.store }, later);
  expect(swept).toEqual({ uploads: orphanBatchIds.size, objects: orphanKeys.length });
  const leftover = [...(await listObjects(s.s3, 'originals/')).keys()].filter((k) =>
    orphanBatchIds.has(k.split('/')[1]!),
  );
  expect(leftover).toEqual([]);
  expect(await s.prisma.uploadIntent.count()).toBe(0);
  expect(result.notes.batches_with_the_idempotency_key).toBe(1);
  // No batch of any kind is left open.
  expect(await s.prisma.batch.count({ where: { status: { notIn: ['completed', 'failed', 'cancelled'] } } })).toBe(0);
});
