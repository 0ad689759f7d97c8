// `pnpm admin:reset-password`, run as a command the way an operator runs it, on PostgreSQL and on the embedded
// database of a stopped `pnpm start`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcrypt';
import { createPrisma, migrate, startEmbeddedPostgres } from '@pixmill/db';
import { createTestDatabase, type TestDatabase } from '@pixmill/db/testing';
import { hashPassword } from '../src/auth/passwords';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const script = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['admin:reset-password']!;

type Run = { code: number; out: string };
/** The package.json script (`tsx <file>`), run with only the environment given. */
async function resetCommand(env: Record<string, string>, args: string[] = []): Promise<Run> {
  const [, file] = script.split(' ');
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, file!), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('pnpm admin:reset-password', () => {
  it('is the package.json script', () => {
    expect(script).toBe('tsx services/gateway/src/auth/reset-password.cli.ts');
  });

  describe('on PostgreSQL (DATABASE_URL)', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
      await db.prisma.user.create({
        data: { username: 'admin', passwordHash: await hashPassword('old-admin-password'), role: 'admin' },
      });
      await db.prisma.user.create({
        data: { username: 'root2', passwordHash: await hashPassword('old-root2-password'), role: 'admin' },
      });
    });
    afterAll(() => db?.drop());
    const hashOf = async (username: string) =>
      (await db.prisma.user.findFirstOrThrow({ where: { username } })).passwordHash;

    it('sets a generated password, printed once, and the old one stops working', async () => {
      const r = await resetCommand({ DATABASE_URL: db.url });
      expect(r.code).toBe(0);
      const generated = /new password for admin "admin": (\S+) {2}\(shown once\)/.exec(r.out)?.[1];
      expect(generated).toBeDefined();
      expect(await bcrypt.compare(generated!, await hashOf('admin'))).toBe(true);
      expect(await bcrypt.compare('old-admin-password', await hashOf('admin'))).toBe(false);
    });

    it('takes ADMIN_PASSWORD and a username argument; refuses a short password and an unknown user', async () => {
      const set = await resetCommand({ DATABASE_URL: db.url, ADMIN_PASSWORD: 'chosen-password-1' }, ['ROOT2']);
      expect(set).toMatchObject({ code: 0 });
      expect(set.out).toContain('password of admin "root2" set to ADMIN_PASSWORD');
      expect(set.out).not.toContain('chosen-password-1');
      expect(await bcrypt.compare('chosen-password-1', await hashOf('root2'))).toBe(true);

      const before = await hashOf('root2');
      const short = await resetCommand({ DATABASE_URL: db.url, ADMIN_PASSWORD: 'short' }, ['root2']);
      expect(short.code).toBe(1);
      expect(short.out).toContain('at least 8 characters');
      expect(await hashOf('root2')).toBe(before);

      const unknown = await resetCommand({ DATABASE_URL: db.url }, ['nobody']);
      expect(unknown.code).toBe(1);
      expect(unknown.out).toContain('no active user "nobody"; admins: admin, root2');
    });
  });

  describe('on the embedded database (DATA_DIR)', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'pixmill-reset-'));
      const pg = await startEmbeddedPostgres(dataDir);
      try {
        await migrate(pg.url);
        const prisma = createPrisma(pg.url);
        await prisma.user.create({
          data: { username: 'admin', passwordHash: await hashPassword('old-admin-password'), role: 'admin' },
        });
        await prisma.$disconnect();
      } finally {
        await pg.stop();
      }
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('says to stop pixmill while it runs, and resets once it is stopped', async () => {
      const running = await startEmbeddedPostgres(dataDir); // this process stands in for a running pixmill
      try {
        const r = await resetCommand({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'embedded-password-1' });
        expect(r.code).toBe(1);
        expect(r.out).toContain(`is in use by process ${process.pid}: stop pixmill first`);
      } finally {
        await running.stop();
      }
      const r = await resetCommand({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'embedded-password-1' });
      expect(r).toMatchObject({ code: 0 });
      const pg = await startEmbeddedPostgres(dataDir);
      const prisma = createPrisma(pg.url);
      try {
        const admin = await prisma.user.findFirstOrThrow({ where: { username: 'admin' } });
        expect(await bcrypt.compare('embedded-password-1', admin.passwordHash)).toBe(true);
      } finally {
        await prisma.$disconnect();
        await pg.stop();
      }
    });

    it('names DATA_DIR when there is no database there', async () => {
      const r = await resetCommand({ DATA_DIR: path.join(dataDir, 'elsewhere') });
      expect(r.code).toBe(1);
      expect(r.out).toContain('no embedded database in');
    });
  });
});
