// A RabbitMQ node and a PostgreSQL cluster of the suite's own (infra/faults/*.sh), on spare loopback ports with their
// own data folders, so a scenario can stop and restart them without touching the machine's, which others use.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrisma, migrate } from '@pixmill/db';
import { ROOT } from './service-process';

const run = promisify(execFile);
const SCRIPTS = path.join(ROOT, 'infra/faults');

export type PrivateService = {
  /** Connection URL (amqp://… or postgresql://…/pixmill). */
  url: string;
  port: number;
  /** Stops it (clients see connections refused until start). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data: resolves once it serves. */
  start(): Promise<void>;
  /** Stops it and removes its data folder. */
  destroy(): Promise<void>;
};

async function script(name: string, args: string[]): Promise<void> {
  try {
    await run(path.join(SCRIPTS, name), args, { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+): while the service is stopped, clients keep
 * reconnecting to its port, and a port in the ephemeral range could be taken as one of their local ports (or a
 * client could connect to itself), so the service could not come back on it.
 */
export async function sparePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (port === 25_672) continue; // the machine's RabbitMQ distribution port
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no spare loopback port found');
}

/** A data folder of this process: its pid is written in it, so a later run can tell it was left behind. */
async function ownFolder(kind: 'rmq' | 'pg'): Promise<string> {
  await reapLeftovers();
  const dir = await mkdtemp(path.join(tmpdir(), `pixfault-${kind}-`));
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

/**
 * Stops and removes nodes and clusters of earlier runs whose test process died without cleaning up (a CI timeout
 * kills jest with SIGKILL): found by their folder, and only when the process that made them is gone.
 */
async function reapLeftovers(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const m = /^pixfault-(rmq|pg)-/.exec(name);
    if (!m) continue;
    const dir = path.join(tmpdir(), name);
    const owner = Number(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => 'NaN'));
    if (!Number.isInteger(owner) || owner === process.pid || alive(owner)) continue;
    await script(m[1] === 'rmq' ? 'rabbitmq.sh' : 'postgres.sh', ['destroy', dir]).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startPrivateRabbitMq(): Promise<PrivateService> {
  const dir = await ownFolder('rmq');
  const port = await sparePort();
  let dist = await sparePort();
  while (dist === port) dist = await sparePort();
  const start = () => script('rabbitmq.sh', ['start', dir, String(port), String(dist)]);
  await start();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    start,
    stop: () => script('rabbitmq.sh', ['stop', dir]),
    destroy: () => script('rabbitmq.sh', ['destroy', dir]),
  };
}

/** A fresh cluster with a migrated `pixmill` database. */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const dir = await ownFolder('pg');
  const port = await sparePort();
  const start = () => script('postgres.sh', ['start', dir, String(port)]);
  await start();
  const admin = createPrisma(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 1 });
  try {
    await admin.$executeRawUnsafe('CREATE DATABASE pixmill');
  } finally {
    await admin.$disconnect();
  }
  const url = `postgresql://postgres@127.0.0.1:${port}/pixmill`;
  await migrate(url);
  return {
    url,
    port,
    start,
    stop: () => script('postgres.sh', ['stop', dir, 'fast']),
    destroy: () => script('postgres.sh', ['destroy', dir]),
  };
}
