// SIGTERM in the middle of a batch, on real services: the worker stops taking images, finishes the ones in flight,
// exits 0, and another worker completes the batch with every image processed exactly once.
import { photo, startHarness, TWO_VARIANTS, until, type Harness } from './support/harness';

jest.setTimeout(180_000);

const IMAGES = 12;
// runService's deadline for resize is RESIZE_TIMEOUT_MS + 10 s; the test gives it the default 60 s + 10 s and a margin.
const GRACE_MS = 75_000;

describe('resize worker on SIGTERM', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('drains in-flight images, exits 0, and the batch completes exactly once on another worker', async () => {
    const { prisma } = h.db;
    // Big enough that a batch takes a few seconds on two cores, so the signal lands mid-batch.
    const originals = await Promise.all(Array.from({ length: IMAGES }, () => photo(2400, 1800)));
    const first = await h.startWorker();
    const { batchId, imageIds } = await h.createBatch(originals);

    const succeeded = () => prisma.image.count({ where: { batchId, status: 'succeeded' } });
    await until('the first image to succeed', async () => (await succeeded()) >= 1, 60_000, 10);
    const inFlight = await prisma.image.findMany({ where: { batchId, status: 'processing' }, select: { id: true } });
    first.child.kill('SIGTERM');

    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      first.exited,
      new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), GRACE_MS))),
    ]).finally(() => clearTimeout(timer));
    expect(exit).toEqual({ code: 0, signal: null });
    await expect(first.waitForLog('shutting down: finishing work in flight', 1)).resolves.toBeDefined();
    await expect(first.waitForLog('stopped', 1)).resolves.toBeDefined();

    // Nothing was left half-done: the images in flight at the signal were finished, none is stuck `processing`.
    const after = await prisma.image.findMany({
      where: { batchId },
      select: { id: true, status: true, processedAt: true },
    });
    expect(after.filter((i) => i.status === 'processing')).toEqual([]);
    const statusOf = new Map(after.map((i) => [i.id, i.status]));
    for (const { id } of inFlight) expect(statusOf.get(id)).toBe('succeeded');
    // ... and the worker really stopped mid-batch: work is left for the next one.
    const leftOver = after.filter((i) => i.status === 'pending').length;
    expect(leftOver).toBeGreaterThan(0);
    const doneByFirst = new Map(
      after.filter((i) => i.status === 'succeeded').map((i) => [i.id, i.processedAt?.getTime()]),
    );

    const second = await h.startWorker();
    await until(
      'the batch to end',
      async () => {
        const b = await prisma.batch.findUniqueOrThrow({ where: { id: batchId }, select: { status: true } });
        return b.status === 'completed' || b.status === 'failed';
      },
      120_000,
      100,
    );

    const batch = await prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch).toMatchObject({
      status: 'completed',
      totalImages: IMAGES,
      processedImages: IMAGES,
      succeededImages: IMAGES,
      failedImages: 0,
    });
    const images = await prisma.image.findMany({
      where: { batchId },
      select: { id: true, status: true, attempts: true, processedAt: true },
    });
    expect(images.map((i) => i.id).sort()).toEqual([...imageIds].sort());
    for (const img of images) {
      expect(img).toMatchObject({ status: 'succeeded', attempts: 1 }); // claimed once: never processed twice
      if (doneByFirst.has(img.id)) expect(img.processedAt?.getTime()).toBe(doneByFirst.get(img.id));
    }
    const outputs = await prisma.output.findMany({ where: { image: { batchId } } });
    expect(outputs).toHaveLength(IMAGES * TWO_VARIANTS.length);
    for (const o of outputs) {
      const stored = await h.s3.store.head(o.storageKey);
      expect(stored?.bytes).toBe(o.bytes);
    }

    second.child.kill('SIGTERM');
    await expect(second.exited).resolves.toEqual({ code: 0, signal: null });
  });
});
