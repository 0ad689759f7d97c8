// Preloaded by the soak into each process it measures (NODE_OPTIONS=--expose-gc --require ...): on SIGUSR2 it runs a
// full garbage collection and appends the process's memory after it to BENCH_MEMORY_FILE as one JSON line.
// Under load V8 lets garbage pile up between major collections, which swings RSS by 50-100 MB in the services; read
// after a collection, the heap shows what the process really retains, so growth in it means a leak.
'use strict';
const { appendFileSync } = require('node:fs');
const { setTimeout } = require('node:timers');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_MEMORY_FILE;
// V8 hands the pages a collection emptied back to the system from a background thread, so RSS read at once still
// counts them (10-30 MB in the services); on a busy machine that thread can lag, hence the wait.
const RELEASE_WAIT_MS = 1000;
const mb = (n) => Math.round((n / 1048576) * 10) / 10;

// tsx's loader runs this preload in its own thread too; signals go to the main thread only.
if (isMainThread && file && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    // Plain gc(): on Node 20 the options form (`{ type: 'major', execution: 'sync' }`) leaves the garbage in place.
    // Twice, for what the first one's weak callbacks and finalizers let go.
    globalThis.gc();
    globalThis.gc();
    // Live heap now, before new garbage; the rest once the emptied pages are gone.
    const heapUsed = mb(process.memoryUsage().heapUsed);
    setTimeout(() => {
      const m = process.memoryUsage();
      const reading = {
        at: Date.now(),
        rss: mb(m.rss),
        heapTotal: mb(m.heapTotal),
        heapUsed,
        external: mb(m.external),
      };
      appendFileSync(file, `${JSON.stringify(reading)}\n`);
    }, RELEASE_WAIT_MS);
  });
}
