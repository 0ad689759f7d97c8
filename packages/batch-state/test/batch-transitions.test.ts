import type { BatchStatus } from '@pixmill/db';
import {
  BATCH_ACTIONS,
  BATCH_STATUSES,
  BatchStateError,
  cancelBatch,
  claimImage,
  finishImage,
  pauseBatch,
  resetStuckImages,
  resumeBatch,
  retryFailedImages,
  startBatch,
} from '../src';
import { useBatchDatabase } from './support/batches';

const ALL_STATES: readonly BatchStatus[] = BATCH_STATUSES;

const { makeBatch, outbox, batchOf, prisma: db } = useBatchDatabase();

describe('control actions by state', () => {
  const cases: [string, (id: string) => Promise<unknown>, readonly BatchStatus[]][] = [
    ['start', (id) => startBatch(db(), id, 'start'), BATCH_ACTIONS.start],
    ['force-start', (id) => startBatch(db(), id, 'force-start'), BATCH_ACTIONS['force-start']],
    ['resume', (id) => resumeBatch(db(), id), BATCH_ACTIONS.resume],
    ['pause', (id) => pauseBatch(db(), id), BATCH_ACTIONS.pause],
    ['cancel', (id) => cancelBatch(db(), id), BATCH_ACTIONS.cancel],
    ['retry-failed', (id) => retryFailedImages(db(), id), BATCH_ACTIONS['retry-failed']],
  ];
  for (const [action, run, allowed] of cases) {
    for (const state of ALL_STATES) {
      const ok = allowed.includes(state);
      it(`${action} ${ok ? 'accepts' : 'refuses'} a ${state} batch`, async () => {
        const { id } = await makeBatch(state, [{ status: 'failed' }, { status: 'pending' }]);
        if (ok) {
          await expect(run(id)).resolves.toBeDefined();
          expect((await batchOf(id)).status).not.toBe(state);
        } else {
          const err = await run(id).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(BatchStateError);
          expect((err as BatchStateError).currentState).toBe(state);
          expect((err as BatchStateError).message).toContain(action);
          expect((await batchOf(id)).status).toBe(state);
        }
      });
    }
  }
});

describe('pause and resume', () => {
  it('a paused batch gives no image to workers; resume queues its pending images once', async () => {
    const { id, imageIds } = await makeBatch('processing', [{}, {}, { status: 'succeeded' }], { started: true });
    await pauseBatch(db(), id);
    expect(await claimImage(db(), id, imageIds[0]!)).toEqual({ claimed: false, reason: 'batch_not_running' });
    expect(await outbox(id, 'resize.image')).toHaveLength(0);

    const r = await resumeBatch(db(), id);
    // It ran before, so it goes straight back to processing and keeps its start time.
    expect(r.status).toBe('processing');
    expect(r.enqueued).toEqual({ images: 2, chunks: 0 });
    const jobs = await outbox(id, 'resize.image');
    expect(jobs.map((j) => (j.payload as { imageId: string }).imageId).sort()).toEqual(imageIds.slice(0, 2).sort());
    expect(jobs[0]!.payload).toEqual({ v: 1, batchId: id, imageId: expect.any(String) });
    expect(await claimImage(db(), id, imageIds[0]!)).toMatchObject({ claimed: true });

    // A second resume is refused by the state guard: nothing is queued twice.
    await expect(resumeBatch(db(), id)).rejects.toBeInstanceOf(BatchStateError);
    expect(await outbox(id, 'resize.image')).toHaveLength(2);
  });

  it('start of a never-started batch goes to queued and queues pending URL chunks', async () => {
    const { id } = await makeBatch('pending', []);
    await db().chunk.createMany({
      data: [
        { batchId: id, seq: 1, firstRow: 1, rowCount: 10, status: 'pending' },
        { batchId: id, seq: 2, firstRow: 11, rowCount: 10, status: 'completed' },
      ],
    });
    const r = await startBatch(db(), id);
    expect(r).toEqual({ status: 'queued', enqueued: { images: 0, chunks: 1 } });
    expect(await outbox(id, 'ingest.chunk')).toHaveLength(1);
  });
});

describe('cancel', () => {
  it('cancels pending and fetching images, leaves in-flight ones to finish and count, writes batch.cancelled', async () => {
    const { id, imageIds } = await makeBatch(
      'processing',
      [{ status: 'processing' }, {}, { status: 'fetching', original: false }, { status: 'succeeded' }],
      { webhookUrl: 'https://example.test/hook', started: true },
    );
    const r = await cancelBatch(db(), id);
    expect(r.cancelledImages).toBe(2);
    expect(r.eventId).toMatch(/^evt_/);
    const events = await outbox(id, 'notify.webhook');
    expect(events.map((e) => e.payload)).toEqual([
      { v: 1, batchId: id, eventId: r.eventId, event: 'batch.cancelled', attempt: 1 },
    ]);

    const b = await batchOf(id);
    expect(b.status).toBe('cancelled');
    expect(b.completedAt).not.toBeNull();
    const statuses = (await db().image.findMany({ where: { batchId: id }, orderBy: { rowNumber: 'asc' } })).map(
      (i) => i.status,
    );
    expect(statuses).toEqual(['processing', 'cancelled', 'cancelled', 'succeeded']);

    // The image in flight finishes: counted once, and the batch stays cancelled with no second event.
    const fin = await finishImage(db(), id, imageIds[0]!, { status: 'succeeded', outputs: [] });
    expect(fin).toEqual({ counted: true, batchEnd: null });
    const after = await batchOf(id);
    expect(after).toMatchObject({ status: 'cancelled', processedImages: 2, succeededImages: 2, failedImages: 0 });
    expect(after.totalImages - after.processedImages).toBe(2);
    expect(await outbox(id, 'notify.webhook')).toHaveLength(1);
    // A cancelled image is never taken again.
    expect((await claimImage(db(), id, imageIds[1]!)).claimed).toBe(false);
  });

  it('writes no webhook event for a batch without webhook_url', async () => {
    const { id } = await makeBatch('queued', [{}]);
    expect((await cancelBatch(db(), id)).eventId).toBeNull();
    expect(await outbox(id, 'notify.webhook')).toHaveLength(0);
  });

  it('of two cancels at once, exactly one succeeds', async () => {
    const { id } = await makeBatch('queued', [{}, {}, {}]);
    const results = await Promise.allSettled([cancelBatch(db(), id), cancelBatch(db(), id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(BatchStateError);
  });
});

describe('retry-failed', () => {
  it('puts only failed images back, fixes the counters and queues only them', async () => {
    const { id, imageIds } = await makeBatch(
      'completed',
      [{ status: 'succeeded' }, { status: 'failed' }, { status: 'failed' }],
      {
        started: true,
      },
    );
    const r = await retryFailedImages(db(), id);
    expect(r).toEqual({ status: 'processing', retriedImages: 2, enqueued: { images: 2, chunks: 0 } });
    const b = await batchOf(id);
    expect(b).toMatchObject({ processedImages: 1, succeededImages: 1, failedImages: 0, completedAt: null });
    const jobs = (await outbox(id, 'resize.image')).map((j) => (j.payload as { imageId: string }).imageId);
    expect(jobs.sort()).toEqual(imageIds.slice(1).sort());
    const retried = await db().image.findUniqueOrThrow({ where: { id: imageIds[1]! } });
    expect(retried).toMatchObject({ status: 'pending', errorCode: null, errorMessage: null });

    // They run again and the batch ends again, exactly once.
    await claimImage(db(), id, imageIds[1]!);
    await finishImage(db(), id, imageIds[1]!, { status: 'succeeded', outputs: [] });
    await claimImage(db(), id, imageIds[2]!);
    const end = await finishImage(db(), id, imageIds[2]!, {
      status: 'failed',
      code: 'corrupt',
      message: 'still bad',
    });
    expect(end.batchEnd?.status).toBe('completed');
    expect(await batchOf(id)).toMatchObject({ processedImages: 3, succeededImages: 2, failedImages: 1 });
  });

  it('refetches URL images that never got an original by reopening their chunk', async () => {
    const { id } = await makeBatch('failed', []);
    const chunk = await db().chunk.create({
      data: { batchId: id, seq: 1, firstRow: 1, rowCount: 1, status: 'completed', completedAt: new Date() },
    });
    await db().image.create({
      data: {
        batchId: id,
        chunkId: chunk.id,
        status: 'failed',
        sourceUrl: 'https://x.test/a.jpg',
        errorCode: 'http_404',
      },
    });
    await db().batch.update({ where: { id }, data: { totalImages: 1, processedImages: 1, failedImages: 1 } });
    const r = await retryFailedImages(db(), id);
    expect(r.enqueued).toEqual({ images: 0, chunks: 1 });
    expect((await db().chunk.findUniqueOrThrow({ where: { id: chunk.id } })).status).toBe('pending');
  });

  it('refuses a finished batch without failed images, naming the reason', async () => {
    const { id } = await makeBatch('completed', [{ status: 'succeeded' }]);
    await expect(retryFailedImages(db(), id)).rejects.toThrow(/no failed images/);
    expect((await batchOf(id)).status).toBe('completed');
  });
});

describe('reset of stuck images', () => {
  it('puts images taken before the threshold back to pending and queues them; recent ones are left alone', async () => {
    const old = new Date(Date.now() - 3_600_000);
    const { id, imageIds } = await makeBatch(
      'processing',
      [
        { status: 'processing', startedAt: old },
        { status: 'processing', startedAt: new Date() },
      ],
      { started: true },
    );
    const r = await resetStuckImages(db(), id, new Date(Date.now() - 600_000));
    expect(r.resetImages).toBe(1);
    expect(r.enqueued.images).toBe(1);
    const imgs = await db().image.findMany({ where: { id: { in: imageIds } } });
    expect(imgs.find((i) => i.id === imageIds[0])!.status).toBe('pending');
    expect(imgs.find((i) => i.id === imageIds[1])!.status).toBe('processing');
  });

  it('resets a paused batch without queueing anything', async () => {
    const { id } = await makeBatch('paused', [{ status: 'processing', startedAt: new Date(0) }]);
    const r = await resetStuckImages(db(), id, new Date());
    expect(r).toMatchObject({ status: 'paused', resetImages: 1, enqueued: { images: 0, chunks: 0 } });
    expect(await outbox(id, 'resize.image')).toHaveLength(0);
  });
});
