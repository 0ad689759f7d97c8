import { Counter, Histogram, createRegistry, metric, pipelineMetrics, PIPELINE_METRICS } from '../src';
import { parseMetrics, sampleValue } from '../src/testing';

describe('pipeline metrics', () => {
  it('times a stage with outcome ok, or error when it throws (and rethrows)', async () => {
    const registry = createRegistry('test');
    const m = pipelineMetrics(registry);
    await expect(m.time('process', async () => 'done')).resolves.toBe('done');
    await expect(m.time('process', () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    await m.time('storage_put', async () => undefined);

    const text = await registry.metrics();
    const count = `${PIPELINE_METRICS.stageSeconds}_count`;
    expect(sampleValue(text, count, { stage: 'process', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, count, { stage: 'process', outcome: 'error' })).toBe(1);
    expect(sampleValue(text, count, { stage: 'storage_put' })).toBe(1);
    expect(sampleValue(text, count, { stage: 'fetch' })).toBeUndefined();
  });

  it('counts bytes per stage and images by outcome and code', async () => {
    const registry = createRegistry('test');
    const m = pipelineMetrics(registry);
    m.bytes('fetch', 2048);
    m.bytes('fetch', 1024);
    m.bytes('storage_put', Number.NaN); // ignored, never a NaN sum
    m.image({ status: 'succeeded' });
    m.image({ status: 'succeeded' });
    m.image({ status: 'failed', code: 'image_too_large' });

    const s = parseMetrics(await registry.metrics());
    expect(sampleValue(s, `${PIPELINE_METRICS.stageBytes}_sum`, { stage: 'fetch' })).toBe(3072);
    expect(sampleValue(s, `${PIPELINE_METRICS.stageBytes}_count`, { stage: 'storage_put' })).toBeUndefined();
    expect(sampleValue(s, PIPELINE_METRICS.images, { outcome: 'succeeded', code: 'none' })).toBe(2);
    expect(sampleValue(s, PIPELINE_METRICS.images, { outcome: 'failed', code: 'image_too_large' })).toBe(1);
  });

  it('shares one set of metrics per registry', async () => {
    const registry = createRegistry('test');
    pipelineMetrics(registry).image({ status: 'succeeded' });
    pipelineMetrics(registry).image({ status: 'succeeded' });
    expect(sampleValue(await registry.metrics(), PIPELINE_METRICS.images)).toBe(2);
  });

  it('reuses webhook metrics a module registered first with the same shape', async () => {
    const registry = createRegistry('test');
    // What the notifier worker registers by itself.
    const attempts = metric(
      registry,
      PIPELINE_METRICS.webhookAttempts,
      () =>
        new Counter({
          name: PIPELINE_METRICS.webhookAttempts,
          help: 'Webhook delivery attempts by outcome',
          labelNames: ['outcome'],
          registers: [registry],
        }),
    );
    metric(
      registry,
      PIPELINE_METRICS.webhookSeconds,
      () =>
        new Histogram({
          name: PIPELINE_METRICS.webhookSeconds,
          help: 'Duration of webhook delivery attempts',
          registers: [registry],
        }),
    );
    attempts.inc({ outcome: 'retry' });
    pipelineMetrics(registry).webhookAttempt('succeeded', 120);

    const text = await registry.metrics();
    expect(sampleValue(text, PIPELINE_METRICS.webhookAttempts, { outcome: 'retry' })).toBe(1);
    expect(sampleValue(text, PIPELINE_METRICS.webhookAttempts, { outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(text, `${PIPELINE_METRICS.webhookSeconds}_sum`)).toBeCloseTo(0.12);
  });
});

describe('reading a scrape back', () => {
  it('parses labels with escapes and refuses lines that are not samples', () => {
    const s = parseMetrics('# HELP x y\nx{a="1",b="q\\"uote"} 2.5\ny 3\n');
    expect(s).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 2.5 },
      { name: 'y', labels: {}, value: 3 },
    ]);
    expect(() => parseMetrics('not a sample line at all')).toThrow('not a Prometheus sample line');
  });
});
