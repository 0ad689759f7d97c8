// claimImage and finishImage are single SQL statements; these tests hold them to the transaction semantics they
// replaced: guards by state, counting once, ending a batch exactly once under concurrency, the event in the outbox.
import { jobSchemas } from '@pixmill/contracts';
import { claimImage, finishImage, pauseBatch } from '../src';
import { useBatchDatabase } from './support/batches';

const { makeBatch, outbox, batchOf, prisma: db } = useBatchDatabase();
const WEBHOOK = 'https://hooks.test/pixmill';
const output = (variant: string, bytes = 100) => ({
  variant,
  storageKey: `outputs/${variant}.webp`,
  format: 'webp',
  width: 10,
  height: 20,
  bytes,
});

describe('claimImage', () => {
  it('takes a pending image of a queued batch, starts the batch and returns what processing needs', async () => {
    const { id, imageIds } = await makeBatch('queued', [{}, {}]);
    await db().batch.update({ where: { id }, data: { recipe: { variants: [{ name: 'thumb', width: 64 }] } } });
    const claim = await claimImage(db(), id, imageIds[0]!);
    expect(claim).toEqual({
      claimed: true,
      originalKey: `originals/${id}/${imageIds[0]}.jpg`,
      recipe: { variants: [{ name: 'thumb', width: 64 }] },
      analysis: null,
    });
    const image = await db().image.findUniqueOrThrow({ where: { id: imageIds[0]! } });
    expect(image).toMatchObject({ status: 'processing', attempts: 1 });
    expect(image.startedAt).not.toBeNull();
    const batch = await batchOf(id);
    expect(batch.status).toBe('processing');
    expect(batch.startedAt).not.toBeNull();
    // A redelivery of a job still processing takes it again (the worker died) and counts the attempt.
    expect(await claimImage(db(), id, imageIds[0]!)).toMatchObject({ claimed: true });
    expect((await db().image.findUniqueOrThrow({ where: { id: imageIds[0]! } })).attempts).toBe(2);
  });

  it('refuses final images, and every image of a batch that is not running', async () => {
    const { id, imageIds } = await makeBatch('processing', [{ status: 'succeeded' }, { status: 'failed' }, {}]);
    expect(await claimImage(db(), id, imageIds[0]!)).toEqual({ claimed: false, reason: 'image_final' });
    expect(await claimImage(db(), id, imageIds[1]!)).toEqual({ claimed: false, reason: 'image_final' });
    // An image id of another batch is not this batch's to take.
    const other = await makeBatch('processing', [{}]);
    expect(await claimImage(db(), id, other.imageIds[0]!)).toEqual({ claimed: false, reason: 'image_final' });
    for (const status of ['pending', 'paused', 'cancelled', 'completed', 'failed'] as const) {
      const b = await makeBatch(status, [{}]);
      expect(await claimImage(db(), b.id, b.imageIds[0]!)).toEqual({ claimed: false, reason: 'batch_not_running' });
      expect((await db().image.findUniqueOrThrow({ where: { id: b.imageIds[0]! } })).status).toBe('pending');
    }
    expect((await db().image.findUniqueOrThrow({ where: { id: imageIds[2]! } })).status).toBe('pending');
  });
});

describe('finishImage', () => {
  it('records a success with its outputs and counts it once; a redelivered finish changes nothing', async () => {
    const { id, imageIds } = await makeBatch('processing', [{ status: 'processing' }, {}]);
    const first = await finishImage(db(), id, imageIds[0]!, {
      status: 'succeeded',
      outputs: [output('thumb'), output('large', 900)],
      contentHash: 'abc',
    });
    expect(first).toEqual({ counted: true, batchEnd: null });
    const again = await finishImage(db(), id, imageIds[0]!, {
      status: 'failed',
      code: 'internal_error',
      message: 'a stale redelivery',
    });
    expect(again).toEqual({ counted: false, batchEnd: null });
    const image = await db().image.findUniqueOrThrow({ where: { id: imageIds[0]! }, include: { outputs: true } });
    expect(image).toMatchObject({ status: 'succeeded', contentHash: 'abc', errorCode: null });
    expect(image.processedAt).not.toBeNull();
    expect(image.outputs.map((o) => [o.variant, o.bytes, o.width, o.height]).sort()).toEqual([
      ['large', 900, 10, 20],
      ['thumb', 100, 10, 20],
    ]);
    expect(await batchOf(id)).toMatchObject({
      status: 'processing',
      processedImages: 1,
      succeededImages: 1,
      failedImages: 0,
    });
  });

  it('records a failure with its reason (cut to 1000 characters)', async () => {
    const { id, imageIds } = await makeBatch('processing', [{ status: 'processing' }, {}]);
    await finishImage(db(), id, imageIds[0]!, { status: 'failed', code: 'not_an_image', message: 'x'.repeat(5000) });
    const image = await db().image.findUniqueOrThrow({ where: { id: imageIds[0]! }, include: { outputs: true } });
    expect(image).toMatchObject({ status: 'failed', errorCode: 'not_an_image' });
    expect(image.errorMessage).toHaveLength(1000);
    expect(image.outputs).toEqual([]);
    expect(await batchOf(id)).toMatchObject({ processedImages: 1, succeededImages: 0, failedImages: 1 });
  });

  it('the last image ends the batch and writes exactly one webhook event of the contract shape', async () => {
    const { id, imageIds } = await makeBatch('processing', [{}, {}], { webhookUrl: WEBHOOK });
    await finishImage(db(), id, imageIds[0]!, { status: 'failed', code: 'corrupt', message: 'y' });
    expect(await outbox(id, 'notify.webhook')).toHaveLength(0);
    const end = await finishImage(db(), id, imageIds[1]!, { status: 'succeeded', outputs: [output('a')] });
    expect(end.batchEnd).toEqual({ status: 'completed', eventId: expect.stringMatching(/^evt_/) });
    const events = await outbox(id, 'notify.webhook');
    expect(events).toHaveLength(1);
    expect(events[0]!.messageId).toBe(end.batchEnd!.eventId);
    expect(jobSchemas['notify.webhook'].parse(events[0]!.payload)).toEqual({
      v: 1,
      batchId: id,
      eventId: end.batchEnd!.eventId,
      event: 'batch.completed',
      attempt: 1,
    });
    const batch = await batchOf(id);
    expect(batch).toMatchObject({ status: 'completed', processedImages: 2, succeededImages: 1, failedImages: 1 });
    expect(batch.completedAt).not.toBeNull();
  });

  it('a batch whose every image failed ends failed', async () => {
    const { id, imageIds } = await makeBatch('processing', [{}], { webhookUrl: WEBHOOK });
    const end = await finishImage(db(), id, imageIds[0]!, { status: 'failed', code: 'corrupt', message: 'y' });
    expect(end.batchEnd?.status).toBe('failed');
    const [event] = await outbox(id, 'notify.webhook');
    expect(event!.payload).toMatchObject({ event: 'batch.failed', eventId: end.batchEnd!.eventId });
    expect((await batchOf(id)).status).toBe('failed');
  });

  it('ends without an event when there is no webhook or it is disabled', async () => {
    const plain = await makeBatch('processing', [{}]);
    const r1 = await finishImage(db(), plain.id, plain.imageIds[0]!, { status: 'succeeded', outputs: [] });
    expect(r1.batchEnd).toEqual({ status: 'completed', eventId: null });
    const disabled = await makeBatch('processing', [{}], { webhookUrl: WEBHOOK });
    await db().batch.update({ where: { id: disabled.id }, data: { webhookDisabled: true } });
    const r2 = await finishImage(db(), disabled.id, disabled.imageIds[0]!, { status: 'succeeded', outputs: [] });
    expect(r2.batchEnd).toEqual({ status: 'completed', eventId: null });
    expect(await outbox(disabled.id, 'notify.webhook')).toHaveLength(0);
  });

  it('a paused batch ends when its images in flight finish', async () => {
    const { id, imageIds } = await makeBatch('processing', [{ status: 'processing' }], { webhookUrl: WEBHOOK });
    await pauseBatch(db(), id);
    const end = await finishImage(db(), id, imageIds[0]!, { status: 'succeeded', outputs: [] });
    expect(end.batchEnd?.status).toBe('completed');
    expect(await outbox(id, 'notify.webhook')).toHaveLength(1);
  });

  it('an ended batch is not ended again by a late image, nor does a finish count for another batch', async () => {
    const { id, imageIds } = await makeBatch('completed', [{ status: 'succeeded' }, { status: 'processing' }], {
      webhookUrl: WEBHOOK,
    });
    const r = await finishImage(db(), id, imageIds[1]!, { status: 'succeeded', outputs: [] });
    expect(r).toEqual({ counted: true, batchEnd: null });
    expect(await outbox(id, 'notify.webhook')).toHaveLength(0);
    const other = await makeBatch('processing', [{}]);
    expect(await finishImage(db(), other.id, imageIds[1]!, { status: 'succeeded', outputs: [] })).toEqual({
      counted: false,
      batchEnd: null,
    });
    expect((await batchOf(other.id)).processedImages).toBe(0);
  });

  it('of many images finishing at once, each counts once and exactly one ends the batch', async () => {
    const n = 24;
    const { id, imageIds } = await makeBatch(
      'processing',
      Array.from({ length: n }, () => ({})),
      {
        webhookUrl: WEBHOOK,
      },
    );
    // Every image finished twice at the same time, as by a redelivery racing the first delivery.
    const results = await Promise.all(
      [...imageIds, ...imageIds].map((imageId, i) =>
        finishImage(
          db(),
          id,
          imageId,
          i % 3 === 0
            ? { status: 'failed', code: 'corrupt', message: 'y' }
            : { status: 'succeeded', outputs: [output('a')] },
        ),
      ),
    );
    expect(results.filter((r) => r.counted)).toHaveLength(n);
    expect(results.filter((r) => r.batchEnd)).toHaveLength(1);
    expect(await outbox(id, 'notify.webhook')).toHaveLength(1);
    const batch = await batchOf(id);
    const succeeded = await db().image.count({ where: { batchId: id, status: 'succeeded' } });
    expect(batch).toMatchObject({
      status: 'completed',
      processedImages: n,
      succeededImages: succeeded,
      failedImages: n - succeeded,
    });
    expect(await db().output.count({ where: { image: { batchId: id } } })).toBe(succeeded);
  });
});
