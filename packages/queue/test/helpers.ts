// Test infrastructure: broker address, unique names, cleanup, waiting for a condition.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { createLogger } from '@pixmill/observability';
import { deleteQueuesStartingWith, testAmqpUrl } from '../src/testing';

const run = promisify(execFile);

export const amqpUrl = testAmqpUrl();

export const log = createLogger('queue-test', 'silent');

/** A per-file base; every test adds its own suffix, and afterAll deletes every queue under the base. */
export function prefixes(): { base: string; next(): string } {
  const base = `qtest-${randomBytes(4).toString('hex')}`;
  let n = 0;
  return { base, next: () => `${base}-${++n}` };
}

export const deleteQueuesUnder = (base: string): Promise<void> => deleteQueuesStartingWith(`${base}-`);

/** Closes, from the broker's side, every connection whose name contains `needle`; answers their ids. */
export async function forceCloseConnections(needle: string): Promise<string[]> {
  const pids = await connectionPids(needle);
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'closed by a queue test']);
  return pids;
}

/** Publishes a body as is, bypassing the transport, as foreign or older code would. */
export async function publishRawAmqp(queue: string, body: string, messageId: string): Promise<void> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(queue, Buffer.from(body), { persistent: true, messageId });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}

export type RawMessage = { messageId: string | undefined; headers: Record<string, unknown>; body: string };

/** Takes every message off a queue (used to read dead letters and their reason headers). */
export async function drainAmqp(queue: string): Promise<RawMessage[]> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    const out: RawMessage[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) break;
      out.push({ messageId: m.properties.messageId, headers: m.properties.headers ?? {}, body: m.content.toString() });
    }
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

export async function waitFor<T>(
  probe: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Broker-side ids of the open connections whose name starts with `needle`. */
export async function connectionPids(needle: string): Promise<string[]> {
  // The table output carries full pids (`<rabbit@host.N.N.N>`), which close_connection accepts; the JSON one does not.
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '-s']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${needle}`))
    .map((line) => line.split('\t')[0] as string);
}
