// What only the RabbitMQ transport has: a broker that can be unreachable or drop the connection.
import { randomUUID } from 'node:crypto';
import type { ResizeImageJob } from '@pixmill/contracts';
import { startTcpRelay, type TcpRelay } from '@pixmill/db/testing';
import { TransportUnavailableError, createAmqpTransport, type JobContext, type Transport } from '../src';
import {
  amqpUrl,
  connectionPids,
  deferred,
  deleteQueuesUnder,
  forceCloseConnections,
  log,
  prefixes,
  waitFor,
} from './helpers';

const names = prefixes();
const kind = 'resize.image' as const;
const job = (): ResizeImageJob => ({ v: 1, batchId: randomUUID(), imageId: randomUUID() });
const open: Transport[] = [];

function make(
  prefix: string,
  o: { url?: string | string[]; connectWaitMs?: number; retryDelaysMs?: number[]; maxAttempts?: number } = {},
) {
  const t = createAmqpTransport({ url: amqpUrl, prefix, prefetch: 4, maxAttempts: 3, retryDelaysMs: [50], log, ...o });
  open.push(t);
  return t;
}
/** The broker shows the transport's connection under this name (see AmqpSession's connectionName). */
const connectionName = (prefix: string) => `pixmill ${prefix} pid`;

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
afterAll(() => deleteQueuesUnder(names.base));

describe('amqp transport', () => {
  it('rejects publish, consume and check quickly while the broker is unreachable', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused.
    const t = make(names.next(), { url: 'amqp://guest:guest@127.0.0.1:1', connectWaitMs: 200 });
    await expect(t.publish(kind, job())).rejects.toBeInstanceOf(TransportUnavailableError);
    await expect(t.publish(kind, job())).rejects.toThrow(/broker unreachable: .*ECONNREFUSED/);
    await expect(t.check()).rejects.toBeInstanceOf(TransportUnavailableError);
    await expect(t.consume(kind, async () => undefined)).rejects.toBeInstanceOf(TransportUnavailableError);
  });

  it('passes check() when the broker answers', async () => {
    await expect(make(names.next()).check()).resolves.toBeUndefined();
  });

  it('reconnects after the broker closes its connection, and its consumer resumes', async () => {
    const prefix = names.next();
    const t = make(prefix);
    const got: string[] = [];
    await t.consume(kind, async (p) => {
      got.push(p.imageId);
    });
    const before = job();
    await t.publish(kind, before);
    await waitFor(() => got.includes(before.imageId), 'delivery before the cut');

    const closed = await forceCloseConnections(connectionName(prefix));
    expect(closed).toHaveLength(1);
    // A new connection under the same name, not the closed one.
    await waitFor(async () => {
      const pids = await connectionPids(connectionName(prefix));
      return pids.length === 1 && !closed.includes(pids[0] as string);
    }, 'a new connection');

    const after = job();
    await waitFor(() => t.publish(kind, after).then(() => true), 'publish after reconnect');
    await waitFor(() => got.includes(after.imageId), 'delivery after reconnect');
    expect((await t.depth(kind)).consumers).toBe(1);
  });

  it('redelivers a message whose handler was running when the connection died', async () => {
    const prefix = names.next();
    const t = make(prefix);
    const calls: JobContext[] = [];
    const firstStarted = deferred();
    const release = deferred();
    try {
      await t.consume(kind, async (_p, ctx) => {
        calls.push(ctx);
        if (calls.length === 1) {
          firstStarted.resolve();
          await release.promise;
        }
      });
      await t.publish(kind, job(), { messageId: 'cut-mid-flight' });
      await firstStarted.promise;
      await forceCloseConnections(connectionName(prefix));

      await waitFor(() => calls.length === 2, 'redelivery on the new connection');
      expect(calls[1]).toEqual({ messageId: 'cut-mid-flight', attempt: 1, redelivered: true });
    } finally {
      release.resolve();
    }
    // The first handler's ack went nowhere (its channel is gone); the redelivered copy was acked.
    await waitFor(async () => {
      const d = await t.depth(kind);
      return d.ready === 0 && d.unacked === 0;
    }, 'queue to settle');
  });

  describe('given the nodes of a cluster', () => {
    // Each "node" is a loopback relay to the machine's broker: closing one is that node going away.
    const relays: TcpRelay[] = [];
    const broker = new URL(amqpUrl);
    const node = async () => {
      const r = await startTcpRelay({ host: broker.hostname, port: Number(broker.port || 5672) });
      relays.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(relays.splice(0).map((r) => r.close()));
    });

    it('closes at once when its connection has just died (the close handshake would never be answered)', async () => {
      const gone = await node();
      const t = make(names.next(), { url: gone.urlFor(amqpUrl) });
      await t.consume(kind, async () => undefined);
      await gone.close();
      const outcome = await Promise.race([
        t.close().then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still closing after 10 s'), 10_000)),
      ]);
      expect(outcome).toBe('closed');
    });

    it('connects to a node that answers, whichever it tries first', async () => {
      for (let i = 0; i < 4; i++) {
        const live = await node();
        const dead = 'amqp://guest:guest@127.0.0.1:1';
        const t = make(names.next(), { url: [dead, live.urlFor(amqpUrl), dead], connectWaitMs: 5_000 });
        await expect(t.check()).resolves.toBeUndefined();
      }
    });

    it('moves to another node when its node goes away: consumers resume, publishing continues', async () => {
      const a = await node();
      const b = await node();
      const prefix = names.next();
      const t = make(prefix, { url: [a.urlFor(amqpUrl), b.urlFor(amqpUrl)], connectWaitMs: 5_000 });
      const got: string[] = [];
      await t.consume(kind, async (p) => {
        got.push(p.imageId);
      });
      const before = job();
      await t.publish(kind, before);
      await waitFor(() => got.includes(before.imageId), 'delivery before the node went away');

      // The node it is on goes away for good; the other one serves from now on.
      const [on, other] = a.clients() === 1 ? [a, b] : [b, a];
      expect([on.clients(), other.clients()]).toEqual([1, 0]);
      await on.close();
      const after = job();
      await waitFor(() => t.publish(kind, after).then(() => true), 'publish through the other node');
      await waitFor(() => got.includes(after.imageId), 'delivery through the other node');
      expect(other.clients()).toBe(1);
      expect((await t.depth(kind)).consumers).toBe(1);
    });
  });

  it('shares queues between transports with other retry settings (declarations never conflict)', async () => {
    const prefix = names.next();
    const a = make(prefix, { maxAttempts: 2, retryDelaysMs: [30] });
    const b = make(prefix, { maxAttempts: 5, retryDelaysMs: [40, 80] });
    const got: string[] = [];
    await a.consume(kind, async (_p, ctx) => {
      got.push(`a:${ctx.messageId}`);
    });
    await b.publish(kind, job(), { messageId: 'from-b' });
    await waitFor(() => got.includes('a:from-b'), 'delivery across transports');
    await expect(b.check()).resolves.toBeUndefined();
    expect((await b.depth(kind)).consumers).toBe(1);
  });
});
