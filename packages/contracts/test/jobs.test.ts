import { jobKinds, jobSchemas, NotifyWebhookJob } from '../src';

describe('job contracts', () => {
  it('covers the four job kinds of the design', () => {
    expect(jobKinds.sort()).toEqual(['analyze.image', 'ingest.chunk', 'notify.webhook', 'resize.image']);
  });

  it('refuses a message with a foreign version or a bad id', () => {
    const id = '7d3f2c1e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
    expect(jobSchemas['resize.image'].safeParse({ v: 1, batchId: id, imageId: id }).success).toBe(true);
    expect(jobSchemas['resize.image'].safeParse({ v: 2, batchId: id, imageId: id }).success).toBe(false);
    expect(jobSchemas['resize.image'].safeParse({ v: 1, batchId: 'x', imageId: id }).success).toBe(false);
  });

  it('defaults a webhook job to its first attempt', () => {
    const id = '7d3f2c1e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
    expect(NotifyWebhookJob.parse({ v: 1, batchId: id, eventId: 'evt_1', event: 'batch.completed' }).attempt).toBe(1);
  });
});
