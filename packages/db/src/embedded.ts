// The embedded database of `pnpm start` with nothing configured: PGlite (Postgres compiled to WASM) with its data
// in <dataDir>/pg, served over the Postgres wire protocol on 127.0.0.1, so the ordinary pg driver, Prisma's pg
// adapter and the same SQL migrations work on it unchanged. PGlite runs in a worker thread (see
// embedded-server.worker.cjs for why).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface EmbeddedPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /**
   * What to give createPrisma here. One connection: PGlite has a single session, so connections take turns (a
   * transaction holds the database until COMMIT/ROLLBACK and other connections wait) and more add no throughput.
   * Callers must therefore do the work of an interactive transaction through its `tx` client, never through the outer
   * client (that would wait for the session the transaction holds until it times out). No prepared statements: in
   * that single session a statement prepared by a connection outlives it, and the next one preparing the name fails.
   */
  clientOptions: { max: 1; preparedStatements: 0 };
  /** Closes client connections (rolling back open transactions), the listener and the database. Idempotent. */
  stop(): Promise<void>;
}

type FromWorker = { type: 'ready'; port: number } | { type: 'failed'; message: string } | { type: 'stopped' };

const WORKER_FILE = join(__dirname, 'embedded-server.worker.cjs');
const openDirs = new Set<string>();

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const pgDir = join(dataDir, 'pg');
  mkdirSync(pgDir, { recursive: true });
  const pidFile = takeDirLock(dataDir);

  const worker = new Worker(WORKER_FILE, { workerData: { pgDir } });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') resolve(msg.port);
        if (msg.type === 'failed') reject(new Error(`embedded database in ${pgDir} did not start: ${msg.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`embedded database worker exited with code ${code}`)));
    });
  } catch (err) {
    await worker.terminate();
    releaseDirLock(pidFile);
    throw err;
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const done = new Promise<void>((resolve) =>
        worker.on('message', (msg: FromWorker) => msg.type === 'stopped' && resolve()),
      );
      worker.postMessage({ type: 'stop' });
      await Promise.race([done, exited]);
      await worker.terminate();
      releaseDirLock(pidFile);
    })());

  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    clientOptions: { max: 1, preparedStatements: 0 },
    stop,
  };
}

// Two PGlite instances on one data folder would corrupt it: refuse a folder held by a live process (or by us).
function takeDirLock(dataDir: string): string {
  const pidFile = join(dataDir, 'pg.pid');
  if (openDirs.has(pidFile)) throw new Error(`the embedded database in ${dataDir} is already open in this process`);
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}`);
  }
  writeFileSync(pidFile, String(process.pid));
  openDirs.add(pidFile);
  return pidFile;
}

function releaseDirLock(pidFile: string): void {
  openDirs.delete(pidFile);
  rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
