// The embedded database of `pnpm start` with nothing configured: PGlite (Postgres compiled to WASM) with its data
// in <dataDir>/pg, served over the Postgres wire protocol on 127.0.0.1, so the ordinary pg driver, Prisma's pg
// adapter and the same SQL migrations work on it unchanged.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { PgliteSessionQueue } from './pglite-session.queue';

export interface EmbeddedPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /**
   * Pool size to give createPrisma in embedded mode. PGlite has one session, so connections take turns (a
   * transaction holds it until COMMIT/ROLLBACK); more connections add nothing but sockets. Consequence for
   * callers: work inside an interactive transaction must use the transaction's client, never the outer one
   * (that would wait for the session the transaction holds).
   */
  poolSize: number;
  /** Closes client connections (rolling back open transactions), the listener and the database. */
  stop(): Promise<void>;
}

const openDirs = new Set<string>();

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const pgDir = join(dataDir, 'pg');
  mkdirSync(pgDir, { recursive: true });
  const pidFile = takeDirLock(dataDir);

  let db: PGlite | undefined;
  try {
    db = await PGlite.create(pgDir);
    const queue = new PgliteSessionQueue(db);
    const handlers = new Set<PGLiteSocketHandler>();
    const server = createServer((socket: Socket) => {
      const handler = new PGLiteSocketHandler({
        queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'],
        closeOnDetach: true,
      });
      handlers.add(handler);
      const forget = () => handlers.delete(handler);
      handler.addEventListener('close', forget);
      handler.addEventListener('error', forget);
      handler.attach(socket).catch(() => {
        forget();
        socket.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const opened = db;

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...handlers].map((h) => h.detach(true)));
        handlers.clear();
        await closed;
        await opened.close();
        releaseDirLock(pidFile);
      })());

    return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, poolSize: 1, stop };
  } catch (err) {
    await db?.close().catch(() => {});
    releaseDirLock(pidFile);
    throw err;
  }
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
