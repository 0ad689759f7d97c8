// Real failures from PostgreSQL through Prisma, sorted into "the database is down" and "the statement is wrong".
import { createPrisma, isDatabaseUnavailable, type PrismaClient } from '../src';
import { createTestDatabase, startTcpRelay, type TestDatabase } from '../src/testing';

const failureOf = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
};

const relayTo = async (databaseUrl: string) => {
  const u = new URL(databaseUrl);
  const relay = await startTcpRelay({ host: u.hostname, port: Number(u.port || 5432) });
  return { url: relay.urlFor(databaseUrl), cut: () => relay.pause(), close: () => relay.close() };
};

describe('isDatabaseUnavailable', () => {
  let db: TestDatabase;
  const clients: PrismaClient[] = [];
  const client = (url: string) => {
    const c = createPrisma(url, { max: 1 });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.$disconnect().catch(() => undefined)));
    await db.drop();
  });

  it('is true when nothing listens where the database should be', async () => {
    const relay = await relayTo(db.url);
    const url = relay.url;
    await relay.close();
    const prisma = client(url);
    expect(isDatabaseUnavailable(await failureOf(() => prisma.$queryRaw`SELECT 1`))).toBe(true);
    expect(isDatabaseUnavailable(await failureOf(() => prisma.user.findFirst()))).toBe(true);
    expect(isDatabaseUnavailable(await failureOf(() => prisma.$transaction((tx) => tx.user.findFirst())))).toBe(true);
  });

  it('is true when the connection is cut under a live client, or the server ends its session', async () => {
    const relay = await relayTo(db.url);
    const prisma = client(relay.url);
    await prisma.$queryRaw`SELECT 1`;
    const slow = failureOf(() => prisma.$queryRaw`SELECT pg_sleep(5)`);
    await new Promise((r) => setTimeout(r, 200));
    await relay.cut();
    expect(isDatabaseUnavailable(await slow)).toBe(true);
    await relay.close();

    // An administrator (or a shutdown) ends the backend: the session's next statement gets 57P01.
    const direct = client(db.url);
    const [backend] = await direct.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const pid = backend!.pid;
    const admin = client(db.url);
    await admin.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    const afterKill = await direct.$queryRaw`SELECT 1`.then(
      () => undefined,
      (err: unknown) => err,
    );
    // pg may notice the closed socket first and reconnect: either the statement succeeded or its failure is an outage.
    if (afterKill !== undefined) expect(isDatabaseUnavailable(afterKill)).toBe(true);
  });

  it('is false for statements that are wrong, and for other services’ connection errors', async () => {
    const prisma = client(db.url);
    const user = await prisma.user.create({ data: { username: 'once', passwordHash: 'h' } });
    const duplicate = await failureOf(() =>
      prisma.user.create({ data: { username: user.username, passwordHash: 'h' } }),
    );
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(await failureOf(() => prisma.$queryRaw`SELECT * FROM no_such_table`))).toBe(false);
    expect(isDatabaseUnavailable(await failureOf(() => prisma.$queryRaw`SELECT 1/0`))).toBe(false);
    // An S3 or HTTP client's socket error says nothing about the database.
    expect(
      isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' })),
    ).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
