import { ALL_NORMAL, queueRecommendations } from '../src/admin/queue-recommendations';

const idle = { ready: 0, unacked: 0, consumers: 1, dead_lettered: 0, retrying: 0 };
const queues = { 'ingest.chunk': idle, 'resize.image': idle, 'analyze.image': idle, 'notify.webhook': idle };
const calm = { queues, outbox: { failing: 0 }, stuck: { count: 0, batches: [] }, thresholdMinutes: 30 };

describe('queue recommendations', () => {
  it('says the queue is operating normally when nothing needs doing', () => {
    expect(queueRecommendations(calm)).toEqual([ALL_NORMAL]);
  });

  it('names each problem and what to do about it, and then not that all is normal', () => {
    const r = queueRecommendations({
      queues: {
        ...queues,
        'resize.image': { ...idle, ready: 7, consumers: 0 },
        'notify.webhook': { ...idle, dead_lettered: 2 },
        'analyze.image': { error: 'channel closed' },
      },
      outbox: { failing: 3 },
      stuck: { count: 4, batches: [{ batch_id: 'b-1' }] },
      thresholdMinutes: 30,
    });
    expect(r).toEqual([
      expect.stringMatching(/^Queue resize\.image has 7 jobs waiting and no worker/),
      expect.stringMatching(/^Queue analyze\.image does not answer \(channel closed\)/),
      expect.stringMatching(/^Queue notify\.webhook holds 2 dead letters: .*dead-letters\?queue=notify\.webhook/),
      expect.stringMatching(/^3 jobs are failing to reach the broker/),
      expect.stringMatching(/^4 images .* more than 30 minutes: .*\/admin\/batch\/\{batch_id\}\/reset.*b-1/),
    ]);
  });
});
