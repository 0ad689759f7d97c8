import { createHash } from 'node:crypto';
import request from 'supertest';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

describe('API keys', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    [alice, bob] = await Promise.all([gw.createUser(), gw.createUser()]);
  });
  afterAll(() => gw?.close());

  const createKey = async (user: TestUser, name = 'ci') => {
    const res = await request(gw.app)
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ name })
      .expect(201);
    return dataOf(res) as { id: string; key: string; prefix: string; name: string };
  };

  it('creates a key that authenticates through both headers, and stores only its SHA-256', async () => {
    const created = await createKey(alice);
    expect(created.key).toMatch(/^pmk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const viaBearer = await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${created.key}`).expect(200);
    expect(dataOf(viaBearer)).toMatchObject({ id: alice.id, authenticated_via: 'api_key' });
    const viaHeader = await request(gw.app).get('/api/v1/me').set('X-API-Key', created.key).expect(200);
    expect(dataOf(viaHeader)).toMatchObject({ id: alice.id, authenticated_via: 'api_key' });

    const row = await gw.deps.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.keyHash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(row.lastUsedAt).toBeInstanceOf(Date);
  });

  it('lists my keys without the secrets, and not anyone else’s', async () => {
    const mine = await createKey(alice, 'listed');
    const theirs = await createKey(bob, 'bobs');
    const res = await request(gw.app).get('/api/v1/api-keys').set('Authorization', `Bearer ${alice.token}`).expect(200);
    const ids = dataOf(res).items.map((k: { id: string }) => k.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect(JSON.stringify(dataOf(res))).not.toContain(mine.key);
    for (const item of dataOf(res).items)
      expect(Object.keys(item).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at']);
  });

  it('refuses a revoked key', async () => {
    const { id, key } = await createKey(alice);
    await request(gw.app).get('/api/v1/me').set('X-API-Key', key).expect(200);
    await request(gw.app).delete(`/api/v1/api-keys/${id}`).set('Authorization', `Bearer ${alice.token}`).expect(204);
    await request(gw.app).get('/api/v1/me').set('X-API-Key', key).expect(401);
    await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${key}`).expect(401);
    // Revoking again is harmless.
    await request(gw.app).delete(`/api/v1/api-keys/${id}`).set('Authorization', `Bearer ${alice.token}`).expect(204);
  });

  it('does not let another user revoke my key, or learn that it exists', async () => {
    const { id, key } = await createKey(alice);
    const res = await request(gw.app)
      .delete(`/api/v1/api-keys/${id}`)
      .set('Authorization', `Bearer ${bob.token}`)
      .expect(404);
    expect(errorOf(res).code).toBe('not_found');
    await request(gw.app).get('/api/v1/me').set('X-API-Key', key).expect(200);
    // Same answer as for a key that doesn't exist at all, or an id that isn't one.
    await request(gw.app)
      .delete('/api/v1/api-keys/00000000-0000-4000-8000-000000000000')
      .set('Authorization', `Bearer ${bob.token}`)
      .expect(404);
    await request(gw.app).delete('/api/v1/api-keys/not-a-uuid').set('Authorization', `Bearer ${bob.token}`).expect(404);
  });

  it('refuses unknown and malformed keys, and keys of deleted users', async () => {
    await request(gw.app)
      .get('/api/v1/me')
      .set('X-API-Key', `pmk_${'A'.repeat(43)}`)
      .expect(401);
    await request(gw.app).get('/api/v1/me').set('X-API-Key', 'hello').expect(401);
    const dave = await gw.createUser();
    const { key } = await createKey(dave);
    await gw.deps.prisma.user.update({ where: { id: dave.id }, data: { deletedAt: new Date() } });
    await request(gw.app).get('/api/v1/me').set('X-API-Key', key).expect(401);
  });

  it('validates the key name', async () => {
    const res = await request(gw.app)
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${alice.token}`)
      .send({ name: '' })
      .expect(400);
    expect(errorOf(res).details.issues[0].path).toEqual(['name']);
  });
});
