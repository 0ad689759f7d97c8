// Slow analyses and the end of a batch: finishImage queues analyze.image and holds the batch open; finishAnalysis
// merges the result, counts once and ends the batch exactly once, with its event.
import { jobSchemas } from '@pixmill/contracts';
import { claimAnalysis, finishAnalysis, finishImage } from '../src';
import { useBatchDatabase } from './support/batches';

const { makeBatch, outbox, batchOf, prisma: db } = useBatchDatabase();
const WEBHOOK = 'https://hooks.test/pixmill';
const output = { variant: 'v', storageKey: 'outputs/v.webp', format: 'webp', width: 1, height: 1, bytes: 10 };
const cheap = { phash: '0123456789abcdef', timings_ms: { phash: 1 } };

async function analysedBatch(n: number) {
  const b = await makeBatch(
    'processing',
    Array.from({ length: n }, () => ({ status: 'processing' as const })),
    {
      webhookUrl: WEBHOOK,
    },
  );
  await db().batch.update({ where: { id: b.id }, data: { analysis: ['phash', 'text'] } });
  return b;
}

describe('slow analyses and batch completion', () => {
  it('queues analyze.image with the resize result and ends the batch only when the analyses end', async () => {
    const { id, imageIds } = await analysedBatch(2);
    for (const imageId of imageIds) {
      const r = await finishImage(db(), id, imageId, {
        status: 'succeeded',
        outputs: [output],
        analysis: cheap,
        analyseLater: true,
      });
      expect(r).toEqual({ counted: true, batchEnd: null });
    }
    expect(await batchOf(id)).toMatchObject({ status: 'processing', processedImages: 2, analysesPending: 2 });
    const jobs = await outbox(id, 'analyze.image');
    expect(jobs.map((j) => jobSchemas['analyze.image'].parse(j.payload).imageId).sort()).toEqual([...imageIds].sort());
    expect(await outbox(id, 'notify.webhook')).toHaveLength(0);

    const claim = await claimAnalysis(db(), id, imageIds[0]!);
    expect(claim).toMatchObject({ claimed: true, analysis: ['phash', 'text'], cancelled: false });
    const text = {
      text: {
        text_content: 'x',
        truncated: false,
        confidence: 90,
        business_contact: { emails: ['a@example.com'], phones: [], urls: [] },
      },
    };
    expect(await finishAnalysis(db(), id, imageIds[0]!, { ...text, timings_ms: { text: 5 } })).toEqual({
      counted: true,
      batchEnd: null,
    });
    // Delivered twice: nothing changes.
    expect(await finishAnalysis(db(), id, imageIds[0]!, { timings_ms: { text: 5 } })).toEqual({
      counted: false,
      batchEnd: null,
    });
    expect(await claimAnalysis(db(), id, imageIds[0]!)).toEqual({ claimed: false });
    const img = await db().image.findUniqueOrThrow({ where: { id: imageIds[0]! } });
    expect(img.analysis).toEqual({ ...cheap, ...text, timings_ms: { phash: 1, text: 5 } });
    expect(img).toMatchObject({ analysisStatus: 'done', hasContact: true, hasStoreName: false });

    const last = await finishAnalysis(db(), id, imageIds[1]!, {
      errors: { text: { code: 'analysis_timeout', message: 'slow' } },
    });
    expect(last.batchEnd).toMatchObject({ status: 'completed' });
    expect(await batchOf(id)).toMatchObject({ status: 'completed', analysesPending: 0 });
    const second = await db().image.findUniqueOrThrow({ where: { id: imageIds[1]! } });
    expect(second.analysis).toMatchObject({ phash: cheap.phash, errors: { text: { code: 'analysis_timeout' } } });
    expect(await outbox(id, 'notify.webhook')).toHaveLength(1);
  });

  it('ends the batch exactly once when its last analyses finish at the same time', async () => {
    const { id, imageIds } = await analysedBatch(6);
    await Promise.all(
      imageIds.map((imageId) =>
        finishImage(db(), id, imageId, { status: 'succeeded', outputs: [output], analysis: cheap, analyseLater: true }),
      ),
    );
    const results = await Promise.all(
      imageIds.map((imageId) => finishAnalysis(db(), id, imageId, { timings_ms: { text: 1 } })),
    );
    expect(results.filter((r) => r.batchEnd)).toHaveLength(1);
    expect(await outbox(id, 'notify.webhook')).toHaveLength(1);
    expect(await batchOf(id)).toMatchObject({ status: 'completed', analysesPending: 0, processedImages: 6 });
  });

  it('does not hold the batch for an image that failed its resize', async () => {
    const { id, imageIds } = await analysedBatch(1);
    const r = await finishImage(db(), id, imageIds[0]!, { status: 'failed', code: 'corrupt', message: 'bad' });
    expect(r.batchEnd).toMatchObject({ status: 'failed' });
    expect(await outbox(id, 'analyze.image')).toHaveLength(0);
  });
});
