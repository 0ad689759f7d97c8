// An upload refused after its files reached storage (options judged once the body is in) keeps nothing: no batch, no
// object, no upload intent left for housekeeping. Both routes that stream files before the batch exists.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startGateway, type TestGateway, type TestUser } from './support';

let gw: TestGateway;
let alice: TestUser;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createUser();
});
afterAll(() => gw?.close());

// The gateway judges an upload by its first bytes only (decoding is the resize worker's), so JPEG magic will do.
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]);

async function expectNothingKept() {
  expect(await gw.deps.prisma.batch.count({ where: { ownerId: alice.id } })).toBe(0);
  expect(await gw.deps.prisma.uploadIntent.count()).toBe(0);
  expect(await gw.deps.store.deletePrefix('originals/')).toBe(0);
}

it('removes the stored files of a batch upload whose options are refused', async () => {
  const res = await request(gw.app)
    .post('/api/v1/batches')
    .set('Authorization', `Bearer ${alice.token}`)
    .attach('files[]', jpeg(), 'a.jpg')
    .attach('files[]', jpeg(), 'b.jpg')
    .field('recipe', '{"variants": [{"name": "x", "width": -1}]}')
    .expect(400);
  expect(res.body.error.code).toBeDefined();
  await expectNothingKept();
});

it('removes the stored image of a resize request whose options are refused', async () => {
  const res = await request(gw.app)
    .post('/api/v1/resize')
    .set('Authorization', `Bearer ${alice.token}`)
    .attach('image', jpeg(), 'a.jpg')
    .field('width', '0')
    .expect(400);
  expect(res.body.error.code).toBeDefined();
  await expectNothingKept();
});
