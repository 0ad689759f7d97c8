// /metrics of the resize service run as deployed, after a small batch: the named metrics exist with real values.
import { enqueue } from '@pixmill/queue';
import { PIPELINE_METRICS } from '@pixmill/observability';
import { parseMetrics, sampleValue } from '@pixmill/observability/testing';
import { QUEUE_METRICS } from '@pixmill/runtime';
import { photo, startHarness, TWO_VARIANTS, until, type Harness } from './support/harness';

jest.setTimeout(120_000);

describe('resize /metrics after a batch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('exposes stage timings and bytes, images by outcome, consume lag, queue depth and outbox backlog', async () => {
    const worker = await h.startWorker();
    const good = await Promise.all([photo(800, 600), photo(640, 480), photo(1024, 768)]);
    const corrupt = (await photo(800, 600)).subarray(0, 2000); // a truncated JPEG: fails with a reason
    const { batchId } = await h.createBatch([...good, corrupt]);
    await until('the batch to end', async () => {
      const b = await h.db.prisma.batch.findUniqueOrThrow({ where: { id: batchId }, select: { status: true } });
      return b.status === 'completed';
    });
    const failed = await h.db.prisma.image.findFirstOrThrow({ where: { batchId, status: 'failed' } });
    // A job scheduled for later stays in the outbox: the backlog gauge must show it.
    await h.db.prisma.$transaction((tx) =>
      enqueue(tx, 'resize.image', { v: 1, batchId, imageId: failed.id }, { delayMs: 3_600_000 }),
    );

    const s = parseMetrics(await worker.metrics());
    const stageCount = `${PIPELINE_METRICS.stageSeconds}_count`;
    for (const stage of ['db', 'storage_get', 'process', 'storage_put']) {
      expect(sampleValue(s, stageCount, { stage, service: 'resize' })).toBeGreaterThan(0);
      expect(sampleValue(s, `${PIPELINE_METRICS.stageSeconds}_sum`, { stage })).toBeGreaterThan(0);
    }
    expect(sampleValue(s, stageCount, { stage: 'storage_put', outcome: 'ok' })).toBe(good.length * TWO_VARIANTS.length);
    expect(sampleValue(s, stageCount, { stage: 'process', outcome: 'error' })).toBe(1);
    expect(sampleValue(s, `${PIPELINE_METRICS.stageBytes}_sum`, { stage: 'storage_get' })).toBeGreaterThan(0);
    expect(sampleValue(s, `${PIPELINE_METRICS.stageBytes}_sum`, { stage: 'storage_put' })).toBeGreaterThan(0);

    expect(sampleValue(s, PIPELINE_METRICS.images, { outcome: 'succeeded' })).toBe(good.length);
    expect(sampleValue(s, PIPELINE_METRICS.images, { outcome: 'failed', code: failed.errorCode ?? '?' })).toBe(1);

    expect(sampleValue(s, `${QUEUE_METRICS.consumeLag}_count`, { queue: 'resize.image' })).toBe(4);
    expect(sampleValue(s, `${QUEUE_METRICS.consumeLag}_sum`, { queue: 'resize.image' })).toBeGreaterThan(0);
    expect(sampleValue(s, QUEUE_METRICS.jobs, { queue: 'resize.image', outcome: 'ok' })).toBe(4);
    expect(sampleValue(s, QUEUE_METRICS.depth, { queue: 'resize.image', state: 'ready' })).toBe(0);
    expect(sampleValue(s, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'delayed' })).toBe(1);
    expect(sampleValue(s, QUEUE_METRICS.outboxBacklog, { queue: 'resize.image', state: 'due' })).toBe(0);
    expect(sampleValue(s, 'pixmill_process_resident_memory_bytes')).toBeGreaterThan(0);

    worker.child.kill('SIGTERM');
    await expect(worker.exited).resolves.toEqual({ code: 0, signal: null });
  });
});
