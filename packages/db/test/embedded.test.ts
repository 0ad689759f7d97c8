import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { firstColumns, WireClient } from './helpers/wire-client';
import { readMigrationFiles } from '../src/migration-files';
import { BatchStatus, createPrisma, migrate, SourceKind, startEmbeddedPostgres, type EmbeddedPostgres } from '../src';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded database (PGlite over a socket)', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pixmill-embedded-'));
    embedded = await startEmbeddedPostgres(dataDir);
    expect(await migrate(embedded.url)).toEqual(readMigrationFiles().map((f) => f.name));
  });
  afterAll(async () => {
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on loopback and recommends one pooled connection', () => {
    expect(new URL(embedded.url).hostname).toBe('127.0.0.1');
    expect(embedded.clientOptions.max).toBe(1);
  });

  it('serves Prisma: create, findMany, Json, enums, BigInt ids, conditional updateMany, transactions', async () => {
    const prisma = createPrisma(embedded.url, embedded.clientOptions);
    try {
      const user = await prisma.user.create({ data: { username: 'crud', passwordHash: 'h' } });
      const recipe = { variants: [{ name: 'thumb', width: 200, format: 'webp' }] };
      const batch = await prisma.batch.create({
        data: { ownerId: user.id, sourceKind: SourceKind.url_list, recipe, sourceColumns: ['url', 'sku'] },
      });
      expect(batch.status).toBe(BatchStatus.pending);
      expect(batch.recipe).toEqual(recipe);

      // A state change guarded by the state it leaves: only the first one applies.
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

  it('runs two concurrent interactive transactions to completion, one after the other', async () => {
    const prisma = createPrisma(embedded.url, embedded.clientOptions);
    try {
      const user = await prisma.user.create({ data: { username: 'tx', passwordHash: 'h' } });
      const batch = await prisma.batch.create({ data: { ownerId: user.id, sourceKind: 'upload', recipe: {} } });
      // Read-modify-write with a pause inside: interleaved, one increment would be lost.
      const increment = () =>
        prisma.$transaction(async (tx) => {
          const b = await tx.batch.findUniqueOrThrow({ where: { id: batch.id } });
          await sleep(50);
          await tx.batch.update({ where: { id: batch.id }, data: { processedImages: b.processedImages + 1 } });
        });
      await Promise.all([increment(), increment()]);
      const after = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
      expect(after.processedImages).toBe(2);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('makes other connections wait while one holds a transaction open', async () => {
    const a = new pg.Client({ connectionString: embedded.url });
    const b = new pg.Client({ connectionString: embedded.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      const events: string[] = [];
      await a.query('BEGIN');
      await a.query("INSERT INTO users (id, username, password_hash) VALUES (gen_random_uuid(), 'uncommitted', 'h')");
      const seen = b
        .query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE username = 'uncommitted'")
        .then((r) => {
          events.push('b read');
          return r.rows[0]?.n;
        });
      await sleep(100);
      events.push('a rollback');
      await a.query('ROLLBACK');
      // Had b's query run inside a's transaction (PGlite has a single session), it would have counted 1.
      expect(await seen).toBe(0);
      expect(events).toEqual(['a rollback', 'b read']);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("keeps another connection's query out of an unfinished Parse/Bind/Execute group", async () => {
    const a = await WireClient.connect(embedded.url);
    const b = await WireClient.connect(embedded.url);
    try {
      a.parse("SELECT 'a:' || $1::text");
      a.flush();
      await a.until('1'); // ParseComplete: a is inside its group, its statement is the session's unnamed one
      // Run in between, b's simple query would replace the unnamed statement and a's Bind would fail.
      b.query("SELECT 'b'");
      await sleep(50);
      a.bindExecuteSync(['x']);
      const fromA = await a.until('Z');
      expect(fromA.filter((m) => m.type === 'E').map((m) => m.body.toString('latin1'))).toEqual([]);
      expect(firstColumns(fromA)).toEqual(['a:x']);
      expect(firstColumns(await b.until('Z'))).toEqual(['b']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('gives every connection its own results when many parameterized queries run at once', async () => {
    const pools = [1, 2].map(() => new pg.Pool({ connectionString: embedded.url, max: 3 }));
    try {
      const results = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          const pool = pools[i % 2]!;
          const sql = i % 3 === 0 ? 'SELECT $1::int AS v, $2::text AS w' : 'SELECT $2::text AS w, $1::int AS v, 1 AS z';
          const { rows } = await pool.query(sql, [i, `w${i}`]);
          return rows[0].v === i && rows[0].w === `w${i}` && 'z' in rows[0] === (i % 3 !== 0);
        }),
      );
      expect(results.every(Boolean)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
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

  it('keeps its data across a restart', async () => {
    await embedded.stop();
    embedded = await startEmbeddedPostgres(dataDir);
    expect(await migrate(embedded.url)).toEqual([]);
    const prisma = createPrisma(embedded.url, embedded.clientOptions);
    try {
      expect(await prisma.user.findUnique({ where: { username: 'crud' } })).not.toBeNull();
      expect(await prisma.outboxMessage.count()).toBe(2);
    } finally {
      await prisma.$disconnect();
    }
  });
});
