// Nothing a client sends is silently ignored: walks the OpenAPI document and sends every route one query parameter
// it does not take, every JSON-body route one body field it does not take, and every multipart route one form field
// it does not take. Each must be a 400 `unknown_field` that names the field and lists what the route takes.
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import request from 'supertest';
import { errorOf, startGateway, type TestGateway, type TestUser } from './support';

type Operation = {
  tags: string[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, { format?: string }> } }> };
};
type Doc = { paths: Record<string, Record<string, Operation>> };

/** Browser pages answer HTML to whatever a browser or a link adds to their URL; the API routes they lead to are walked. */
const isPage = (op: Operation) => op.tags.includes('web pages');

const UNKNOWN = 'pixmill_unknown_field';

describe('unknown fields', () => {
  let gw: TestGateway;
  let admin: TestUser;
  let doc: Doc;
  let png: Buffer;

  beforeAll(async () => {
    gw = await startGateway({ settings: { RATE_LIMIT_PER_MINUTE: 100_000 } });
    admin = await gw.createUser('admin');
    doc = (await request(gw.app).get('/api/v1/openapi.json').expect(200)).body as Doc;
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } })
      .png()
      .toBuffer();
  });
  afterAll(() => gw?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !isPage(op))
        .map(([method, op]) => ({
          method: method as 'get' | 'post' | 'put' | 'patch' | 'delete',
          template,
          // Any id will do: the request is refused before anything is looked up.
          path: template.replace(/\{[^}]+\}/g, () => randomUUID()),
          op,
        })),
    );

  const expectRefused = (
    route: string,
    res: request.Response,
    place: 'query' | 'body' | 'form',
    field = UNKNOWN,
    allowed?: string[],
  ) => {
    expect({ route, status: res.status, code: res.body?.code }).toEqual({ route, status: 400, code: 'unknown_field' });
    const e = errorOf(res);
    expect(e.error).toContain(`"${field}"`);
    expect(e.details).toMatchObject({ in: place, unknown: [field] });
    if (allowed) expect((e.details as { allowed: string[] }).allowed).toEqual(allowed);
  };

  it('walks enough of the document to mean something', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.filter((o) => o.op.requestBody?.content['application/json']).length).toBeGreaterThan(10);
    expect(ops.filter((o) => o.op.requestBody?.content['multipart/form-data']).length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a query parameter a route does not take, on every route, listing those it takes', async () => {
    for (const { method, template, path, op } of operations()) {
      const res = await request(gw.app)[method](`${path}?${UNKNOWN}=1`).set('Authorization', `Bearer ${admin.token}`);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expectRefused(`${method} ${template}`, res, 'query', UNKNOWN, declared);
    }
  });

  it('refuses a JSON body field a route does not take, on every route that takes JSON', async () => {
    const json = operations().filter((o) => o.method !== 'get' && !o.op.requestBody?.content['multipart/form-data']);
    for (const { method, template, path } of json) {
      const agent = request(gw.app);
      const res = await agent[method](path)
        .set('Authorization', `Bearer ${admin.token}`)
        .send({ [UNKNOWN]: 1 });
      expectRefused(`${method} ${template}`, res, 'body');
    }
  });

  it('refuses a form field a multipart route does not take, and stores nothing for it', async () => {
    const multipart = operations().filter((o) => o.op.requestBody?.content['multipart/form-data']);
    for (const { method, template, path, op } of multipart) {
      const props = op.requestBody!.content['multipart/form-data']!.schema.properties ?? {};
      const fileField = Object.keys(props).find((n) => props[n]!.format === 'binary' || n.endsWith('[]'))!;
      const req = request(gw.app)[method](path).set('Authorization', `Bearer ${admin.token}`).field(UNKNOWN, '1');
      const res = await (fileField === 'file'
        ? req.attach('file', Buffer.from('url\nhttps://example.com/a.png\n'), 'in.csv')
        : req.attach(fileField, png, 'a.png'));
      expectRefused(`${method} ${template}`, res, 'form');
    }
    expect(await gw.deps.prisma.batch.count()).toBe(0);
  });

  it('refuses width on a batch upload, which takes a recipe instead', async () => {
    const res = await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${admin.token}`)
      .field('width', '400')
      .attach('files[]', png, 'a.png');
    expectRefused('post /api/v1/batches', res, 'form', 'width', [
      'batch_name',
      'recipe',
      'analysis',
      'webhook_url',
      'auto_start',
    ]);
  });

  it('still takes every declared field', async () => {
    await request(gw.app)
      .get('/api/v1/batches?page=1&per_page=5&status=completed')
      .set('Authorization', `Bearer ${admin.token}`)
      .expect(200);
  });
});

describe('batch_name', () => {
  let gw: TestGateway;
  let user: TestUser;
  beforeAll(async () => {
    gw = await startGateway();
    user = await gw.createUser();
  });
  afterAll(() => gw?.close());

  it('over 200 characters is refused naming the limit, not cut, in a form and in JSON', async () => {
    const name = 'n'.repeat(201);
    const form = await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${user.token}`)
      .field('batch_name', name)
      .attach('file', Buffer.from('url\nhttps://example.com/a.png\n'), 'in.csv');
    const json = await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ urls: ['https://example.com/a.png'], batch_name: name });
    for (const res of [form, json]) {
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('200');
      expect(JSON.stringify(res.body)).toContain('batch_name');
    }
    expect(await gw.deps.prisma.batch.count()).toBe(0);
    await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ urls: ['https://example.com/a.png'], batch_name: 'n'.repeat(200) })
      .expect(202);
  });
});
