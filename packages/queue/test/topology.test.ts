import { DELIVERY_LIMIT, deadLetterQueue, delayQueue, mainQueue } from '../src';
import { delayQueueOptions, mainQueueOptions, retryDelayMs } from '../src/topology';

describe('queue topology', () => {
  it('names every queue of a kind under the prefix', () => {
    expect(mainQueue('prod', 'resize.image')).toBe('prod.resize.image');
    expect(deadLetterQueue('prod', 'resize.image')).toBe('prod.resize.image.dlq');
    expect(delayQueue('prod', 'resize.image', 5000)).toBe('prod.resize.image.delay.5000');
  });

  it('routes the main queue to its dead-letter queue past the delivery limit, and delay queues back to the main queue', () => {
    expect(mainQueueOptions('p', 'ingest.chunk').arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'p.ingest.chunk.dlq',
    });
    expect(delayQueueOptions('p', 'ingest.chunk', 250).arguments).toMatchObject({
      'x-message-ttl': 250,
      'x-dead-letter-routing-key': 'p.ingest.chunk',
    });
  });

  it('picks the retry delay by attempt, repeating the last one', () => {
    const delays = [1000, 5000, 30000];
    expect([1, 2, 3, 4, 9].map((attempt) => retryDelayMs(delays, attempt))).toEqual([1000, 5000, 30000, 30000, 30000]);
    expect(retryDelayMs([], 1)).toBe(0);
    expect(retryDelayMs([12.6], 1)).toBe(13);
  });
});
