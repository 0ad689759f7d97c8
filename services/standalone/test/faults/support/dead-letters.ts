// Reads (without taking) the messages of a dead-letter queue, with amqplib borrowed from @pixmill/queue's
// dependencies (this package has none of its own for it).
import { createRequire } from 'node:module';

type Message = { content: Buffer; properties: { headers?: Record<string, unknown>; messageId?: string } };
type Channel = {
  get(queue: string, o: { noAck: boolean }): Promise<Message | false>;
  nackAll(requeue: boolean): void;
  close(): Promise<void>;
};
type Amqp = { connect(url: string): Promise<{ createChannel(): Promise<Channel>; close(): Promise<void> }> };

const fromQueue = createRequire(require.resolve('@pixmill/queue/package.json'));
const amqp = fromQueue('amqplib') as Amqp;

export type DeadLetter = { body: unknown; headers: Record<string, unknown>; messageId?: string };

/** Every message in `queue` right now; they are put back (unacked) when the channel closes. */
export async function peekDeadLetters(amqpUrl: string, queue: string): Promise<DeadLetter[]> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    const out: DeadLetter[] = [];
    for (;;) {
      const msg = await ch.get(queue, { noAck: false });
      if (!msg) break;
      out.push({
        body: JSON.parse(msg.content.toString('utf8')) as unknown,
        headers: msg.properties.headers ?? {},
        ...(msg.properties.messageId ? { messageId: msg.properties.messageId } : {}),
      });
    }
    ch.nackAll(true);
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}
