import request from 'supertest';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

describe('user administration', () => {
  let gw: TestGateway;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    [admin, user] = await Promise.all([gw.createUser('admin'), gw.createUser('user')]);
  });
  afterAll(() => gw?.close());

  const create = (token: string, body: object) =>
    request(gw.app).post('/api/v1/users').set('Authorization', `Bearer ${token}`).send(body);

  it('lets an admin create a user who can then log in', async () => {
    const res = await create(admin.token, { username: 'Erin.M', password: 'a good password', role: 'user' }).expect(
      201,
    );
    expect(dataOf(res)).toEqual({
      id: expect.any(String),
      username: 'erin.m',
      role: 'user',
      created_at: expect.any(String),
      disabled_at: null,
    });
    expect(JSON.stringify(dataOf(res))).not.toContain('password');
    await request(gw.app)
      .post('/api/v1/auth/login')
      .send({ username: 'erin.m', password: 'a good password' })
      .expect(200);
  });

  it('forbids non-admins', async () => {
    const res = await create(user.token, { username: 'mallory', password: 'a good password' }).expect(403);
    expect(errorOf(res).code).toBe('forbidden');
    expect(await gw.deps.prisma.user.count({ where: { username: 'mallory' } })).toBe(0);
  });

  it('refuses a taken username with 409', async () => {
    await create(admin.token, { username: 'frank', password: 'a good password' }).expect(201);
    const res = await create(admin.token, { username: 'FRANK', password: 'another password' }).expect(409);
    expect(errorOf(res).code).toBe('conflict');
  });

  it.each([
    ['a password of 73 bytes', { username: 'gina', password: 'x'.repeat(73) }, 'password'],
    ['a short password', { username: 'gina', password: 'short' }, 'password'],
    ['a username with spaces', { username: 'gi na', password: 'a good password' }, 'username'],
    ['a one-letter username', { username: 'g', password: 'a good password' }, 'username'],
    ['an unknown role', { username: 'gina', password: 'a good password', role: 'root' }, 'role'],
  ])('refuses %s with the field named', async (_name, body, field) => {
    const res = await create(admin.token, body).expect(400);
    expect(errorOf(res).code).toBe('validation_error');
    expect(errorOf(res).details.issues.map((i: { path: string[] }) => i.path[0])).toContain(field);
  });
});
