import request from 'supertest';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

const HOOK = 'http://127.0.0.1:9/account-hook';
const MY_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe("the account's default webhook", () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    gw = await startGateway({ settings: { FETCH_ALLOW_HOSTS: ['127.0.0.1:9'] } });
    [alice, bob] = await Promise.all([gw.createUser(), gw.createUser()]);
  });
  afterAll(() => gw?.close());

  const as = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });
  const put = (u: TestUser, body: object) => request(gw.app).put('/api/v1/me/webhook').set(as(u)).send(body);
  const get = (u: TestUser) => request(gw.app).get('/api/v1/me/webhook').set(as(u));
  const stored = (u: TestUser) => gw.deps.prisma.accountWebhook.findUnique({ where: { userId: u.id } });
  const postCsv = (u: TestUser, fields: Record<string, string> = {}) => {
    let req = request(gw.app)
      .post('/api/upload')
      .set(as(u))
      .attach('file', Buffer.from('url\nhttp://img.test/a.jpg\n'), { filename: 'in.csv', contentType: 'text/csv' });
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.expect(202);
  };
  const batchRow = (id: string) => gw.deps.prisma.batch.findUniqueOrThrow({ where: { id } });

  it('is set with a secret made for it and shown once; reading it shows only the end of the secret', async () => {
    expect(errorOf(await get(alice).expect(404)).code).toBe('not_found');
    const set = await put(alice, { url: HOOK }).expect(201);
    const secret = dataOf(set).secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(dataOf(set)).toEqual({
      url: HOOK,
      secret,
      secret_hint: `whsec_…${secret.slice(-4)}`,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(set.headers['cache-control']).toBe('no-store');
    const read = await get(alice).expect(200);
    expect(dataOf(read)).toEqual({
      url: HOOK,
      secret_hint: `whsec_…${secret.slice(-4)}`,
      created_at: dataOf(set).created_at,
      updated_at: dataOf(set).updated_at,
    });
    expect(JSON.stringify(read.body)).not.toContain(secret.slice(6, 30));
    expect((await stored(alice))?.secret).toBe(secret);

    // A new URL keeps the secret (not shown again); rotate_secret makes a new one (shown once).
    const moved = await put(alice, { url: `${HOOK}/2` }).expect(200);
    expect(dataOf(moved)).not.toHaveProperty('secret');
    expect((await stored(alice))?.secret).toBe(secret);
    const rotated = await put(alice, { url: `${HOOK}/2`, rotate_secret: true }).expect(200);
    expect(dataOf(rotated).secret).toMatch(/^whsec_/);
    expect(dataOf(rotated).secret).not.toBe(secret);
    expect((await stored(alice))?.secret).toBe(dataOf(rotated).secret);
  });

  it('takes a secret of your own without echoing it', async () => {
    const res = await put(bob, { url: HOOK, secret: MY_SECRET }).expect(201);
    expect(dataOf(res)).not.toHaveProperty('secret');
    expect(JSON.stringify(res.body)).not.toContain(MY_SECRET.slice(6, 30));
    expect(dataOf(res).secret_hint).toBe(`whsec_…${MY_SECRET.slice(-4)}`);
    expect((await stored(bob))?.secret).toBe(MY_SECRET);
    await request(gw.app).delete('/api/v1/me/webhook').set(as(bob)).expect(204);
  });

  it.each([
    ['a loopback port that is not allowed', { url: 'http://127.0.0.1:8/hook' }, 'invalid_webhook_url'],
    ['the metadata address', { url: 'http://169.254.169.254/latest/meta-data/' }, 'invalid_webhook_url'],
    ['a private address', { url: 'http://10.0.0.1/hook' }, 'invalid_webhook_url'],
    ['a non-http scheme', { url: 'ftp://example.com/hook' }, 'invalid_webhook_url'],
    ['a URL over 2048 characters', { url: `${HOOK}?q=${'a'.repeat(2048)}` }, 'invalid_webhook_url'],
    ['a secret that is not whsec_ + base64', { url: HOOK, secret: 'hunter2' }, 'invalid_webhook_secret'],
    [
      'a secret too short',
      { url: HOOK, secret: `whsec_${Buffer.alloc(8).toString('base64')}` },
      'invalid_webhook_secret',
    ],
    ['both secret and rotate_secret', { url: HOOK, secret: MY_SECRET, rotate_secret: true }, 'validation_error'],
    ['no url', { secret: MY_SECRET }, 'validation_error'],
    ['an unknown field', { url: HOOK, events: ['batch.completed'] }, 'unknown_field'],
  ])('refuses %s, and sets nothing', async (_name, body, code) => {
    const fresh = await gw.createUser();
    const res = await put(fresh, body).expect(400);
    expect(errorOf(res)).toMatchObject({ code, error: expect.any(String) });
    expect(await stored(fresh)).toBeNull();
  });

  it('is taken by a batch created without a webhook_url, not by one with its own, nor after it is removed', async () => {
    const carol = await gw.createUser();
    const set = await put(carol, { url: HOOK }).expect(201);
    const secret = dataOf(set).secret as string;

    const plain = await postCsv(carol);
    expect(await batchRow(plain.body.request_id)).toMatchObject({ webhookUrl: HOOK, webhookSecret: secret });
    // The account's secret is the user's already: the create answer does not repeat it.
    expect(plain.body).not.toHaveProperty('webhook_secret');
    // Uploaded images and JSON URL lists alike.
    const json = await request(gw.app)
      .post('/api/v1/batches')
      .set(as(carol))
      .send({ urls: ['http://img.test/b.jpg'] })
      .expect(202);
    expect(await batchRow(dataOf(json).batch_id)).toMatchObject({ webhookUrl: HOOK, webhookSecret: secret });

    const own = await postCsv(carol, { webhook_url: 'http://127.0.0.1:9/own' });
    const ownRow = await batchRow(own.body.request_id);
    expect(ownRow.webhookUrl).toBe('http://127.0.0.1:9/own');
    expect(ownRow.webhookSecret).toBe(own.body.webhook_secret);
    expect(ownRow.webhookSecret).not.toBe(secret);

    // Another user's default is not carol's, and carol's is not theirs.
    const dave = await gw.createUser();
    expect((await batchRow((await postCsv(dave)).body.request_id)).webhookUrl).toBeNull();

    await request(gw.app).delete('/api/v1/me/webhook').set(as(carol)).expect(204);
    await request(gw.app).delete('/api/v1/me/webhook').set(as(carol)).expect(404);
    await get(carol).expect(404);
    expect((await batchRow((await postCsv(carol)).body.request_id)).webhookUrl).toBeNull();
    // A batch keeps the endpoint it was created with.
    expect((await batchRow(plain.body.request_id)).webhookUrl).toBe(HOOK);
  });

  it('is taken by a clone of a batch that had no webhook; a clone of one with its own keeps that', async () => {
    const gina = await gw.createUser();
    const before = (await postCsv(gina)).body.request_id as string;
    const own = (await postCsv(gina, { webhook_url: 'http://127.0.0.1:9/own' })).body.request_id as string;
    const secret = dataOf(await put(gina, { url: HOOK }).expect(201)).secret as string;
    const clone = async (id: string) => {
      const res = await request(gw.app).post(`/api/v1/batches/${id}/clone`).set(as(gina)).send({}).expect(201);
      return batchRow(dataOf(res).batch_id as string);
    };
    expect(await clone(before)).toMatchObject({ webhookUrl: HOOK, webhookSecret: secret });
    expect((await clone(own)).webhookUrl).toBe('http://127.0.0.1:9/own');
  });

  it('is per account: one user never sees or changes another user’s', async () => {
    const erin = await gw.createUser();
    const frank = await gw.createUser();
    await put(erin, { url: HOOK }).expect(201);
    await get(frank).expect(404);
    await request(gw.app).delete('/api/v1/me/webhook').set(as(frank)).expect(404);
    await put(frank, { url: `${HOOK}/frank` }).expect(201);
    expect(dataOf(await get(erin).expect(200)).url).toBe(HOOK);
    expect((await stored(erin))?.url).toBe(HOOK);
  });

  it('needs credentials', async () => {
    const res = await request(gw.app).get('/api/v1/me/webhook').expect(401);
    expect(errorOf(res)).toMatchObject({ code: 'unauthorized', error: 'No token provided' });
    await request(gw.app).put('/api/v1/me/webhook').send({ url: HOOK }).expect(401);
    await request(gw.app).delete('/api/v1/me/webhook').expect(401);
  });
});
