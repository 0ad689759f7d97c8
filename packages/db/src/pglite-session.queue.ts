// Shares PGlite's single Postgres session among several socket connections without mixing their work.
//
// pglite-socket's own queue interleaves connections message by message. PGlite has one session, so a
// Parse from one connection could land between another's Parse and Bind, and a query from one connection
// could run inside another's open transaction. This queue gives the session to one connection at a time and
// keeps it there until that connection is between statements: after its Sync or simple Query, and only when
// no transaction block is open. Other connections wait (in arrival order), as they would for a row lock.
import type { PGlite } from '@electric-sql/pglite';

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

// Frontend messages that are part of an extended-protocol group (or COPY data): the session stays with their
// connection until the group's Sync. P Parse, B Bind, D Describe, E Execute, C Close, H Flush, d CopyData.
const MID_GROUP = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48, 0x64]);

/** Implements the queue interface that pglite-socket's PGLiteSocketHandler calls. */
export class PgliteSessionQueue {
  private owner: number | null = null;
  private waiting: Job[] = [];
  private running = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  /** A connection went away: drop what it still had queued. */
  clearQueueForHandler(handlerId: number): void {
    const mine = this.waiting.filter((j) => j.handlerId === handlerId);
    this.waiting = this.waiting.filter((j) => j.handlerId !== handlerId);
    for (const j of mine) j.reject(new Error('connection closed'));
  }

  /** A connection went away while holding the session: roll back its transaction and hand the session on. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    await this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.waiting.findIndex((j) => j.handlerId === this.owner);
        const job = index < 0 ? undefined : this.waiting[index];
        // The owner is between two messages of its group or transaction: everyone else keeps waiting.
        if (!job) return;
        this.waiting.splice(index, 1);
        this.owner = job.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                job.onData(data);
              },
            }),
          );
          job.resolve(bytes);
        } catch (err) {
          job.reject(err);
        }
        const type = job.message[0] ?? 0;
        if (!MID_GROUP.has(type) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.running = false;
    }
  }
}
