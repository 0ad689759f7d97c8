// One AMQP connection kept alive: amqplib does not reconnect by itself, so this loop does, with capped backoff. Given
// the nodes of a cluster, it connects to one and moves on to the next when that one fails or goes away.
import amqp, { type ChannelModel } from 'amqplib';
import type { Logger } from '@pixmill/observability';
import { TransportUnavailableError } from './errors';

export type SessionOptions = {
  /**
   * The broker, or the nodes of a cluster: tried in turn, from a random one (so a fleet of processes spreads over the
   * nodes), moving to the next after a failed attempt or a lost connection.
   */
  urls: readonly string[];
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
  /** Settles when `conn` has closed (however it closed). */
  private connGone: Promise<unknown> | undefined;
  private closed = false;
  private waiters = new Set<() => void>();
  private wakeSleep: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private lastError: Error | undefined;

  private cursor: number;

  constructor(private readonly o: SessionOptions) {
    if (o.urls.length === 0) throw new Error('at least one broker URL is needed');
    this.cursor = Math.floor(Math.random() * o.urls.length);
  }

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
    const gone = this.connGone;
    this.conn = undefined;
    // A connection that just died (its 'close' not handled yet) would never answer the close handshake.
    if (conn) await Promise.race([conn.close().catch(() => undefined), gone]);
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 100, maxMs: 10_000 };
    let failures = 0;
    while (!this.closed) {
      const url = this.o.urls[this.cursor % this.o.urls.length]!;
      const broker = brokerOf(url);
      this.cursor++;
      try {
        const conn = await amqp.connect(url, {
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
        this.connGone = lost;
        this.lastError = undefined;
        failures = 0;
        this.o.log.info({ connection: this.o.connectionName, broker }, 'amqp connected');
        this.releaseWaiters();
        await this.o.onConnected(conn);
        const err = await lost;
        if (this.conn === conn) this.conn = undefined;
        if (this.closed) break;
        this.lastError = err ?? new Error('connection closed');
        this.o.log.warn({ err: this.lastError.message, broker }, 'amqp connection lost; reconnecting');
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.o.log.warn({ err: this.lastError.message, broker, failures: failures + 1 }, 'amqp connect failed');
        failures++;
      }
      if (this.closed) break;
      // Every node of a cluster is tried once before waiting: a dead node costs one connect attempt, not a backoff.
      if (failures > 0 && failures % this.o.urls.length !== 0) continue;
      const rounds = Math.floor(failures / this.o.urls.length);
      const base = Math.min(maxMs, initialMs * 2 ** Math.min(rounds, 20));
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

/** host:port of a broker URL, for logs (a URL's userinfo holds the password). */
function brokerOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return 'an unparsable URL';
  }
}
