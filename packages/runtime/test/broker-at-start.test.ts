// A worker starting before its broker answers (run-worker's waitForBroker), against the real RabbitMQ behind a
// loopback relay that refuses connections until the test lets them through.
import { randomBytes } from 'node:crypto';
import { startTcpRelay, type TcpRelay } from '@pixmill/db/testing';
import { createLogger } from '@pixmill/observability';
import { createAmqpTransport, type Transport } from '@pixmill/queue';
import { waitForBroker } from '../src';

const AMQP_URL = process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
const broker = new URL(AMQP_URL);
const log = createLogger('broker-at-start-test', 'silent');

describe('a worker starting before its broker answers', () => {
  let relay: TcpRelay;
  let transport: Transport;
  beforeEach(async () => {
    relay = await startTcpRelay({ host: broker.hostname, port: Number(broker.port || 5672) }, { paused: true });
    transport = createAmqpTransport({
      url: relay.urlFor(AMQP_URL),
      prefix: `start-${randomBytes(4).toString('hex')}`,
      prefetch: 1,
      maxAttempts: 2,
      retryDelaysMs: [10],
      log,
    });
  });
  afterEach(async () => {
    await transport.close();
    await relay.close();
  });

  it('waits for it past the transport’s own 2 s, and goes on once it answers', async () => {
    const waited = waitForBroker({ transport, log }, 30_000).then(() => Date.now());
    await new Promise((r) => setTimeout(r, 4_000));
    await expect(transport.check()).rejects.toThrow(/broker unreachable/);
    await relay.resume();
    const resumedAt = Date.now();
    expect(await waited).toBeGreaterThanOrEqual(resumedAt);
  });

  it('gives up after its own limit with the transport’s reason', async () => {
    await expect(waitForBroker({ transport, log }, 1_000)).rejects.toThrow(/broker unreachable: .*ECONNREFUSED/);
  });
});
