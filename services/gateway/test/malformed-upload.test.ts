// Uploads refused after their files began streaming to storage keep nothing. A multipart body that stops early (a
// client cut off mid-upload) is the client's fault: 400 `malformed_upload` saying what is wrong, and the gateway goes
// on serving (it used to answer 500). An upload whose options are refused once its body is in (a bad recipe on a
// batch, bad options on /resize) leaves no batch, object or upload intent either.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { dataOf, errorOf, startGateway, type TestGateway, type TestUser } from './support';

let gw: TestGateway;
let alice: TestUser;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createUser();
});
afterAll(() => gw?.close());

const BOUNDARY = 'pixmill-test-boundary';
// The gateway judges an upload by its first bytes only (decoding is the resize worker's), so JPEG magic will do.
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]);
const partHead = (filename: string) =>
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files[]"; filename="${filename}"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );

const postRaw = (body: Buffer) =>
  request(gw.app)
    .post('/api/v1/batches')
    .set('Authorization', `Bearer ${alice.token}`)
    .set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`)
    .send(body);

it('answers a multipart body cut off mid-file with 400 malformed_upload, keeps nothing of it, and stays healthy', async () => {
  // One whole image, then a second one cut off mid-file: no end of part, no closing boundary.
  const truncated = Buffer.concat([
    partHead('whole.jpg'),
    jpeg(),
    Buffer.from('\r\n'),
    partHead('cut.jpg'),
    jpeg().subarray(0, 5_000),
  ]);

  const res = await postRaw(truncated).expect(400).expect('Content-Type', /json/);
  expect(errorOf(res).code).toBe('malformed_upload');
  expect(errorOf(res).error).toMatch(/^malformed upload: Unexpected end of (form|file)$/);
  expect(errorOf(res).details).toEqual({ reason: 'malformed_multipart' });

  // No batch, and the whole image that was already streamed to storage was removed again.
  expect(await gw.deps.prisma.batch.count({ where: { ownerId: alice.id } })).toBe(0);
  expect(await gw.deps.store.deletePrefix('originals/')).toBe(0);

  // Still healthy, and the same client's next, complete upload goes through.
  const health = await request(gw.app).get('/health').expect(200);
  expect(health.body.status).toBe('ok');
  const whole = Buffer.concat([partHead('again.jpg'), jpeg(), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const created = await postRaw(whole).expect(201);
  expect(dataOf(created).total_images).toBe(1);
});

/** A user of its own and an empty originals/ folder: what a refused upload leaves is then all there is to see. */
async function cleanSlate(): Promise<TestUser> {
  await gw.deps.store.deletePrefix('originals/');
  return gw.createUser();
}

async function expectNothingKept(owner: TestUser) {
  expect(await gw.deps.prisma.batch.count({ where: { ownerId: owner.id } })).toBe(0);
  expect(await gw.deps.prisma.uploadIntent.count()).toBe(0);
  expect(await gw.deps.store.deletePrefix('originals/')).toBe(0);
}

it('removes the stored files of a batch upload whose options are refused', async () => {
  const bob = await cleanSlate();
  const res = await request(gw.app)
    .post('/api/v1/batches')
    .set('Authorization', `Bearer ${bob.token}`)
    .attach('files[]', jpeg(), 'a.jpg')
    .attach('files[]', jpeg(), 'b.jpg')
    .field('recipe', '{"variants": [{"name": "x", "width": -1}]}')
    .expect(400);
  expect(errorOf(res).code).toBeDefined();
  await expectNothingKept(bob);
});

it('removes the stored image of a resize request whose options are refused', async () => {
  const bob = await cleanSlate();
  const res = await request(gw.app)
    .post('/api/v1/resize')
    .set('Authorization', `Bearer ${bob.token}`)
    .attach('image', jpeg(), 'a.jpg')
    .field('width', '0')
    .expect(400);
  expect(errorOf(res).code).toBeDefined();
  await expectNothingKept(bob);
});
