import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcrypt';
import request from 'supertest';
import { ConfigError } from '@pixmill/config';
import { ensureAdmin, resolveJwtSecret } from '../src';
import { dataOf, startGateway, type TestGateway } from './support';

describe('resolveJwtSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pixmill-gw-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('uses JWT_SECRET when set, embedded or not', () => {
    const s = 'x'.repeat(40);
    expect(resolveJwtSecret({ JWT_SECRET: s, DATA_DIR: dir }, { embedded: false })).toBe(s);
    expect(resolveJwtSecret({ JWT_SECRET: s, DATA_DIR: dir }, { embedded: true })).toBe(s);
  });

  it('generates a secret once in embedded mode and keeps it private in DATA_DIR', async () => {
    const dataDir = path.join(dir, 'data');
    const first = resolveJwtSecret({ JWT_SECRET: undefined, DATA_DIR: dataDir }, { embedded: true });
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, 'jwt-secret');
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret({ JWT_SECRET: undefined, DATA_DIR: dataDir }, { embedded: true })).toBe(first);
  });

  it('refuses to run without JWT_SECRET when not embedded, naming the setting', () => {
    let err: unknown;
    try {
      resolveJwtSecret({ JWT_SECRET: undefined, DATA_DIR: dir }, { embedded: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.setting)).toEqual(['JWT_SECRET']);
  });

  it('refuses a secret file too short to be one', async () => {
    await writeFile(path.join(dir, 'jwt-secret'), 'short\n');
    expect(() => resolveJwtSecret({ JWT_SECRET: undefined, DATA_DIR: dir }, { embedded: true })).toThrow(/JWT_SECRET/);
  });
});

describe('ensureAdmin', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startGateway();
  });
  afterEach(() => gw?.close());

  it('creates the admin once with a generated password that logs in', async () => {
    const created = await ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: undefined });
    expect(created).toEqual({ username: 'admin', generatedPassword: expect.any(String) });
    const res = await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: created!.generatedPassword })
      .expect(200);
    const me = await request(gw.app)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${dataOf(res).access_token}`)
      .expect(200);
    expect(dataOf(me).role).toBe('admin');
    expect(await ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: undefined })).toBeNull();
  });

  it('uses ADMIN_PASSWORD when given and does not echo it', async () => {
    const created = await ensureAdmin(gw.deps.prisma, {
      ADMIN_USERNAME: 'Root',
      ADMIN_PASSWORD: 'correct horse battery',
    });
    expect(created).toEqual({ username: 'root' });
    const row = await gw.deps.prisma.user.findUniqueOrThrow({ where: { username: 'root' } });
    expect(await bcrypt.compare('correct horse battery', row.passwordHash)).toBe(true);
    expect(bcrypt.getRounds(row.passwordHash)).toBe(12);
  });

  it('creates exactly one admin when replicas start together', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: undefined })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await gw.deps.prisma.user.count({ where: { role: 'admin' } })).toBe(1);
  });

  it('does nothing when an admin already exists', async () => {
    await gw.createUser('admin');
    expect(await ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: undefined })).toBeNull();
    expect(await gw.deps.prisma.user.count()).toBe(1);
  });

  it('refuses when the name belongs to a user who is not an admin', async () => {
    await gw.createUser('user', { username: 'admin' });
    await expect(ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: undefined })).rejects.toThrow(
      /ADMIN_USERNAME/,
    );
  });

  it('refuses an ADMIN_PASSWORD bcrypt would truncate', async () => {
    await expect(
      ensureAdmin(gw.deps.prisma, { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'x'.repeat(73) }),
    ).rejects.toThrow(/ADMIN_PASSWORD/);
  });
});
