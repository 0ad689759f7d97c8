// Worker thread of the embedded database: PGlite (Postgres in WASM) with its data in workerData.pgDir, served over
// the Postgres wire protocol on 127.0.0.1 (a free port). Plain CommonJS on purpose: a worker runs outside jest's and
// tsx's module transforms, and PGlite loads its parts with dynamic import(), which jest's VM refuses. Running here
// also keeps PGlite's synchronous WASM work off the main thread's event loop.
//
// Messages: worker -> parent { type: 'ready', port } | { type: 'failed', message } | { type: 'stopped' };
// parent -> worker { type: 'stop' }: close connections (rolling back open transactions), the listener and the database.
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:net');
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketHandler } = require('@electric-sql/pglite-socket');

// Frontend messages inside an extended-protocol group (or COPY data): the session stays with their connection
// until the group's Sync. P Parse, B Bind, D Describe, E Execute, C Close, H Flush, d CopyData.
const MID_GROUP = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48, 0x64]);

/**
 * Shares PGlite's single Postgres session among connections without mixing their work. pglite-socket's own queue
 * interleaves connections message by message, so one connection's Parse could land between another's Parse and
 * Bind. Here one connection holds the session from its first message until it is between statements (after Sync
 * or a simple Query) with no transaction block open; the others wait in arrival order, as for a row lock.
 * Implements the queue interface that PGLiteSocketHandler calls.
 */
class SessionQueue {
  /** @param {import('@electric-sql/pglite').PGlite} db */
  constructor(db) {
    this.db = db;
    /** @type {number | null} */
    this.owner = null;
    /** @type {{ handlerId: number, message: Uint8Array, onData: (d: Uint8Array) => void, resolve: (n: number) => void, reject: (e: unknown) => void }[]} */
    this.waiting = [];
    this.running = false;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength() {
    return this.waiting.length;
  }

  /** A connection went away: drop what it still had queued. */
  clearQueueForHandler(handlerId) {
    const mine = this.waiting.filter((j) => j.handlerId === handlerId);
    this.waiting = this.waiting.filter((j) => j.handlerId !== handlerId);
    for (const j of mine) j.reject(new Error('connection closed'));
  }

  /** A connection went away while holding the session: roll back its transaction and hand the session on. */
  async clearTransactionIfNeeded(handlerId) {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    await this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.waiting.findIndex((j) => j.handlerId === this.owner);
        const job = index < 0 ? undefined : this.waiting[index];
        // Empty, or the owner is between two messages of its group or transaction: the others keep waiting.
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
        if (!MID_GROUP.has(job.message[0] ?? 0) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.running = false;
    }
  }
}

async function main() {
  const db = await PGlite.create(workerData.pgDir);
  const queue = new SessionQueue(db);
  const handlers = new Set();
  const server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });

  parentPort.on('message', async (msg) => {
    if (msg?.type !== 'stop') return;
    const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
    await Promise.all([...handlers].map((h) => h.detach(true)));
    handlers.clear();
    await closed;
    await db.close();
    parentPort.postMessage({ type: 'stopped' });
  });
  parentPort.postMessage({ type: 'ready', port: server.address().port });
}

main().catch((err) => {
  parentPort.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
});
