// A bare Postgres wire-protocol client that can stop halfway through an extended-query group (Parse sent, Sync
// not yet), which pg never does on its own; used to check that connections to the embedded database don't mix.
import { connect, type Socket } from 'node:net';

export interface BackendMessage {
  type: string;
  body: Buffer;
}

const cstr = (s: string) => Buffer.from(`${s}\0`);
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const frame = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
};

export class WireClient {
  private buffer = Buffer.alloc(0);
  private received: BackendMessage[] = [];
  private waiter: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 5) {
        const len = this.buffer.readInt32BE(1);
        if (this.buffer.length < len + 1) break;
        this.received.push({ type: String.fromCharCode(this.buffer[0]!), body: this.buffer.subarray(5, len + 1) });
        this.buffer = this.buffer.subarray(len + 1);
      }
      this.waiter?.();
    });
  }

  static async connect(url: string): Promise<WireClient> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new WireClient(socket);
    const params = Buffer.concat([cstr('user'), cstr('postgres'), cstr('database'), cstr('postgres'), cstr('')]);
    socket.write(Buffer.concat([int32(params.length + 8), int32(196608), params]));
    await client.until('Z');
    return client;
  }

  parse(sql: string): void {
    this.socket.write(frame('P', cstr(''), cstr(sql), int16(0)));
  }
  bindExecuteSync(params: string[]): void {
    const values = params.map((p) => Buffer.concat([int32(Buffer.byteLength(p)), Buffer.from(p)]));
    this.socket.write(
      Buffer.concat([
        frame('B', cstr(''), cstr(''), int16(0), int16(params.length), ...values, int16(0)),
        frame('E', cstr(''), int32(0)),
        frame('S'),
      ]),
    );
  }
  flush(): void {
    this.socket.write(frame('H'));
  }
  query(sql: string): void {
    this.socket.write(frame('Q', cstr(sql)));
  }

  /** Waits for a message of the given type; returns everything received up to and including it. */
  async until(type: string): Promise<BackendMessage[]> {
    for (;;) {
      const at = this.received.findIndex((m) => m.type === type);
      if (at >= 0) return this.received.splice(0, at + 1);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.socket.end(frame('X'));
  }
}

/** First column of each DataRow, as text. */
export function firstColumns(messages: BackendMessage[]): string[] {
  return messages
    .filter((m) => m.type === 'D')
    .map((m) => {
      const len = m.body.readInt32BE(2);
      return m.body.subarray(6, 6 + len).toString();
    });
}
