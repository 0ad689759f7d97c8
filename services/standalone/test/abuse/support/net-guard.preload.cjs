// Loaded first (`node --require <this file>`) by the pixmill process the abuse and fuzz suites attack: the same DNS
// stub and loopback tripwire as in the test process (net-guard.ts), sharing the folder named by
// PIXMILL_ABUSE_GUARD_DIR. Plain CommonJS, so it also loads in worker threads (which skip it: they open no sockets
// to strangers).
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  require('tsx/cjs/api').register();
  require('./net-guard.ts').installNetGuard();
}
