// Preloaded by the soak into each process it measures (NODE_OPTIONS=--expose-gc --require ...): on SIGUSR2 it runs a
// full garbage collection and appends the process's memory right after it to BENCH_MEMORY_FILE as one JSON line.
// Under load V8 lets garbage pile up between major collections, which swings RSS by 50-100 MB in the services; read
// after a collection, RSS and heap show what the process really retains, so growth in them means a leak.
'use strict';
const { appendFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_MEMORY_FILE;
// tsx's loader runs this preload in its own thread too; signals go to the main thread only.
if (isMainThread && file && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    // Plain gc(): on Node 20 the options form (`{ type: 'major', execution: 'sync' }`) leaves the garbage in place.
    // Twice, for what the first one's weak callbacks and finalizers let go.
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    const mb = (n) => Math.round((n / 1048576) * 10) / 10;
    appendFileSync(
      file,
      `${JSON.stringify({ at: Date.now(), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external) })}\n`,
    );
  });
}
