// One AMQP connection kept alive: amqplib does not reconnect by itself, so this loop does, with capped backoff.
import amqp, { type ChannelModel } from 'amqplib';
import type { Logger } from '@pixmill/observability';
import { TransportUnavailableError } from './errors';

export type SessionOptions = {
  url: string;
  /** Shown by the broker (`rabbitmqctl list_connections client_properties`), so operators can tell processes apart. */
  connectionName: string;
  log: Logger;
  /** Runs after every successful (re)connection (re-attaches consumers); it must not throw. */
  onConnected: (conn: ChannelModel) => Promise<void>;
  connectTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
};

export class AmqpSession {
  private conn: ChannelModel | undefined;
  private closed = false;
  private waiters = new Set<() => void>();
  private wakeSleep: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private lastError: Error | undefined;

  constructor(private readonly o: SessionOptions) {}

  start(): void {
    this.loopDone ??= this.loop();
  }

  get current(): ChannelModel | undefined {
    return this.conn;
  }

  /** The live connection, waiting at most `timeoutMs` for a (re)connect in progress. */
  async connection(timeoutMs: number): Promise<ChannelModel> {
    if (this.closed) throw new TransportUnavailableError('transport is closed');
    if (this.conn) return this.conn;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
    if (this.conn) return this.conn;
    const why = this.lastError ? `: ${this.lastError.message}` : '';
    throw new TransportUnavailableError(
      this.closed ? 'transport is closed' : `broker unreachable${why}`,
      this.lastError ? { cause: this.lastError } : undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeSleep?.();
    this.releaseWaiters();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.close().catch(() => undefined);
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 100, maxMs: 10_000 };
    let failures = 0;
    while (!this.closed) {
      try {
        const conn = await amqp.connect(this.o.url, {
          timeout: this.o.connectTimeoutMs ?? 5_000,
          clientProperties: { connection_name: this.o.connectionName },
        });
        if (this.closed) {
          await conn.close().catch(() => undefined);
          break;
        }
        const lost = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
        // Without an 'error' listener an emitted error would crash the process; 'close' follows it anyway.
        conn.on('error', (err: Error) => this.o.log.warn({ err: err.message }, 'amqp connection error'));
        conn.on('blocked', (reason: string) => this.o.log.warn({ reason }, 'amqp connection blocked by the broker'));
        conn.on('unblocked', () => this.o.log.info('amqp connection unblocked'));
        this.conn = conn;
        this.lastError = undefined;
        failures = 0;
        this.o.log.info({ connection: this.o.connectionName }, 'amqp connected');
        this.releaseWaiters();
        await this.o.onConnected(conn);
        const err = await lost;
        if (this.conn === conn) this.conn = undefined;
        if (this.closed) break;
        this.lastError = err ?? new Error('connection closed');
        this.o.log.warn({ err: this.lastError.message }, 'amqp connection lost; reconnecting');
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.o.log.warn({ err: this.lastError.message, failures: failures + 1 }, 'amqp connect failed');
        failures++;
      }
      if (this.closed) break;
      const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 20));
      await this.sleep(base * (0.8 + Math.random() * 0.2));
    }
    this.releaseWaiters();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }

  private releaseWaiters(): void {
    for (const w of [...this.waiters]) w();
  }
}
