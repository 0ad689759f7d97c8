// Preloaded by the image benchmark into the processes it measures (NODE_OPTIONS=--require ...): counts garbage
// collection pauses of the main thread by kind, and on SIGUSR2 appends the totals so far to BENCH_GC_FILE as one JSON
// line. The bench reads it before and after a batch: time the JavaScript thread spent collecting rather than working.
'use strict';
const { appendFileSync } = require('node:fs');
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_GC_FILE;
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

// tsx's loader runs this preload in its own thread too; signals go to the main thread only.
if (isMainThread && file) {
  const totals = { ms: 0, count: 0 };
  for (const kind of Object.values(KINDS)) totals[kind] = { ms: 0, count: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = KINDS[e.detail?.kind] ?? 'other';
      totals[kind] ??= { ms: 0, count: 0 };
      totals[kind].ms += e.duration;
      totals[kind].count++;
      totals.ms += e.duration;
      totals.count++;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...totals })}\n`));
}
