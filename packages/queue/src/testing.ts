// For tests of any package or service that run against the machine's RabbitMQ: its address, and deleting the
// queues a test declared, so runs leave the broker clean.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';

// Test infrastructure address (allowed outside @pixmill/config): the machine's RabbitMQ.
export const testAmqpUrl = (): string => process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/** Deletes every queue whose name starts with `start`. */
export async function deleteQueuesStartingWith(start: string): Promise<void> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['list_queues', 'name', '--formatter', 'json', '-q']);
  const names = (JSON.parse(stdout) as { name: string }[]).map((q) => q.name).filter((n) => n.startsWith(start));
  if (names.length === 0) return;
  const conn = await amqp.connect(testAmqpUrl());
  try {
    const ch = await conn.createChannel();
    for (const name of names) await ch.deleteQueue(name);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** The queues a transport with this queue prefix declared (all named `<prefix>.…`). */
export const deleteQueuesWithPrefix = (prefix: string): Promise<void> => deleteQueuesStartingWith(`${prefix}.`);
