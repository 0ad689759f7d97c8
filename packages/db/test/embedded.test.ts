import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readMigrationFiles } from '../src/migration-files';
import { BatchStatus, createPrisma, migrate, SourceKind, startEmbeddedPostgres, type EmbeddedPostgres } from '../src';

const ROOT = join(__dirname, '../../..');

/** Whether anything accepts connections on a loopback port. */
const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2000 });
    c.on('error', () => undefined);
    c.connect().then(
      () => c.end().then(() => resolve(true)),
      (err: Error) => resolve(!/ECONNREFUSED/.test(err.message)),
    );
  });

describe('embedded database (PostgreSQL binaries from npm)', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    // mkdtemp folders are 0700: as root the server (run as `postgres`) must work in one all the same.
    dataDir = mkdtempSync(join(tmpdir(), 'pixmill-embedded-'));
    embedded = await startEmbeddedPostgres(dataDir);
    expect(await migrate(embedded.url)).toEqual(readMigrationFiles().map((f) => f.name));
  });
  afterAll(async () => {
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on loopback behind a password kept private in the data folder', async () => {
    const url = new URL(embedded.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(decodeURIComponent(url.password)).toBe(readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim());
    expect(statSync(join(dataDir, 'postgres-password')).mode & 0o077).toBe(0);
    const guess = new pg.Client({ connectionString: embedded.url.replace(url.password, 'wrong') });
    guess.on('error', () => undefined);
    await expect(guess.connect()).rejects.toThrow(/password authentication failed/);
    const none = new pg.Client({ host: '127.0.0.1', port: Number(url.port), user: 'postgres', password: '' });
    none.on('error', () => undefined);
    await expect(none.connect()).rejects.toThrow();
  });

  it('serves Prisma: create, findMany, Json, enums, BigInt ids, conditional updateMany, transactions', async () => {
    const prisma = createPrisma(embedded.url);
    try {
      const user = await prisma.user.create({ data: { username: 'crud', passwordHash: 'h' } });
      const recipe = { variants: [{ name: 'thumb', width: 200, format: 'webp' }] };
      const batch = await prisma.batch.create({
        data: { ownerId: user.id, sourceKind: SourceKind.url_list, recipe, sourceColumns: ['url', 'sku'] },
      });
      expect(batch.status).toBe(BatchStatus.pending);
      expect(batch.recipe).toEqual(recipe);

      const guarded = { where: { id: batch.id, status: BatchStatus.pending }, data: { status: BatchStatus.queued } };
      expect(await prisma.batch.updateMany(guarded)).toEqual({ count: 1 });
      expect(await prisma.batch.updateMany(guarded)).toEqual({ count: 0 });

      const [m1, m2] = await prisma.$transaction([
        prisma.outboxMessage.create({ data: { queue: 'ingest.chunk', payload: { n: 1 }, messageId: 'crud-1' } }),
        prisma.outboxMessage.create({ data: { queue: 'ingest.chunk', payload: { n: 2 }, messageId: 'crud-2' } }),
      ]);
      expect(typeof m1.id).toBe('bigint');
      expect(m2.id).toBe(m1.id + 1n);

      await expect(
        prisma.$transaction(async (tx) => {
          await tx.outboxMessage.create({ data: { queue: 'q', payload: {}, messageId: 'crud-rolled-back' } });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await prisma.outboxMessage.findMany({ where: { messageId: 'crud-rolled-back' } })).toEqual([]);

      const found = await prisma.batch.findMany({ where: { ownerId: user.id }, include: { owner: true } });
      expect(found).toHaveLength(1);
      expect(found[0]?.owner.username).toBe('crud');
      expect(found[0]?.status).toBe('queued');
    } finally {
      await prisma.$disconnect();
    }
  });

  it('serves several connections at once: a transaction left open holds up no other connection', async () => {
    const a = new pg.Client({ connectionString: embedded.url });
    const b = new pg.Client({ connectionString: embedded.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await a.query("INSERT INTO users (id, username, password_hash) VALUES (gen_random_uuid(), 'uncommitted', 'h')");
      // Its own session: b neither waits for a nor sees a's uncommitted row.
      const { rows } = await b.query("SELECT count(*)::int AS n FROM users WHERE username = 'uncommitted'");
      expect(rows[0].n).toBe(0);
      await a.query('ROLLBACK');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('delivers NOTIFY to a listening connection (the outbox relay is woken by commits)', async () => {
    const listener = new pg.Client({ connectionString: embedded.url });
    await listener.connect();
    try {
      await listener.query('LISTEN pixmill_embedded_test');
      const heard = new Promise<string | undefined>((resolve) =>
        listener.on('notification', (n) => resolve(n.payload)),
      );
      const other = new pg.Client({ connectionString: embedded.url });
      await other.connect();
      await other.query("SELECT pg_notify('pixmill_embedded_test', 'hello')");
      await other.end();
      expect(await heard).toBe('hello');
    } finally {
      await listener.end();
    }
  });

  it('rolls back the transaction of a client that disconnects, and serves the others', async () => {
    const a = new pg.Client({ connectionString: embedded.url });
    a.on('error', () => {});
    await a.connect();
    await a.query('BEGIN');
    await a.query("INSERT INTO users (id, username, password_hash) VALUES (gen_random_uuid(), 'abandoned', 'h')");
    await a.end();
    const b = new pg.Client({ connectionString: embedded.url });
    await b.connect();
    try {
      const { rows } = await b.query("SELECT count(*)::int AS n FROM users WHERE username = 'abandoned'");
      expect(rows[0].n).toBe(0);
    } finally {
      await b.end();
    }
  });

  it('refuses to open a data folder that is already open', async () => {
    await expect(startEmbeddedPostgres(dataDir)).rejects.toThrow(/already open/);
  });

  it('keeps its data across a restart, and stops its server on stop()', async () => {
    const port = Number(new URL(embedded.url).port);
    await embedded.stop();
    expect(await answers(port)).toBe(false);
    embedded = await startEmbeddedPostgres(dataDir);
    expect(await migrate(embedded.url)).toEqual([]);
    const prisma = createPrisma(embedded.url);
    try {
      expect(await prisma.user.findUnique({ where: { username: 'crud' } })).not.toBeNull();
      expect(await prisma.outboxMessage.count()).toBe(2);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('starts again after the process that ran it was killed, stopping the server it left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixmill-embedded-killed-'));
    try {
      // A process that opens the database, says where, and is then killed with SIGKILL (no chance to stop it).
      const script =
        "const { startEmbeddedPostgres } = require('./packages/db/src/embedded');" +
        `startEmbeddedPostgres(${JSON.stringify(dir)}).then((e) => console.log('URL ' + e.url));`;
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 60_000;
      while (!/URL (\S+)/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`child did not start it: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const leftPort = Number(new URL(/URL (\S+)/.exec(out)![1]!).port);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(await answers(leftPort)).toBe(true); // the orphan still runs

      const again = await startEmbeddedPostgres(dir);
      try {
        expect(await answers(leftPort)).toBe(false);
        const c = new pg.Client({ connectionString: again.url });
        await c.connect();
        expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
        await c.end();
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
