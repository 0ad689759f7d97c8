// The store's direct PUT and GET (direct-requests.ts) against a loopback server that records what it receives:
// each request carries a SigV4 signature that holds for exactly what was sent (s3rver checks no signatures, real S3
// does), goes out once without the SDK, and falls back to the SDK when the answer is anything but 200.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createS3Store, ObjectNotFoundError } from '../src';
import { createDirectRequests } from '../src/direct-requests';

type Received = { method: string; path: string; headers: http.IncomingHttpHeaders; body: Buffer };
type Answer = { status: number; body?: string | Buffer };

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** A loopback S3 stand-in: records every request and answers with the next queued answer (200 when none). */
async function startRecorder() {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      const answer = answers.shift() ?? { status: 200 };
      res.writeHead(answer.status, { 'content-type': 'application/xml' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs again what the server received, with the signed headers it names, at its own date: the same signature? */
async function expectValidSignature(r: Received, region: string, secret = credentials) {
  const auth = String(r.headers.authorization);
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
      auth,
    );
  if (!m) throw new Error(`not a SigV4 authorization header: ${auth}`);
  expect(m[1]).toBe(secret.accessKeyId);
  expect(m[3]).toBe(region);
  const signedHeaders = m[4]!.split(';');
  // What S3 checks first: the body it got is the body that was signed.
  expect(r.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(r.body).digest('hex'));
  expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-content-sha256', 'x-amz-date']));
  const headers = Object.fromEntries(signedHeaders.map((h) => [h, String(r.headers[h])]));
  const amzDate = headers['x-amz-date']!;
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    credentials: secret,
    region,
    service: 's3',
    sha256: new S3Client({ region }).config.sha256,
    uriEscapePath: false,
  });
  const [pathname, search = ''] = r.path.split('?');
  const again = await signer.sign(
    {
      method: r.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: pathname!,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers,
      body: r.body,
    },
    { signingDate },
  );
  expect(again.headers.authorization).toBe(auth);
}

/** Requests the SDK sent (the fallback): it stamps each with an invocation id; the direct requests carry none. */
const viaSdk = (r: Received) => r.headers['amz-sdk-invocation-id'] !== undefined;

describe('direct S3 requests', () => {
  let s3: Awaited<ReturnType<typeof startRecorder>>;
  beforeEach(async () => {
    s3 = await startRecorder();
  });
  afterEach(() => s3.close().catch(() => undefined));

  const storeOf = () =>
    createS3Store({
      endpoint: s3.endpoint,
      region: 'eu-central-1',
      bucket: 'pix',
      forcePathStyle: true,
      ...credentials,
    });

  it('puts a small buffer in one signed request, without the SDK', async () => {
    const body = Buffer.from('a small image');
    await expect(
      storeOf().put('originals/batch=1/a_b-c.d.jpg', body, { contentType: 'image/jpeg', contentLength: body.length }),
    ).resolves.toEqual({ bytes: body.length });
    expect(s3.received).toHaveLength(1);
    const [put] = s3.received;
    expect(put).toMatchObject({ method: 'PUT', path: '/pix/originals/batch%3D1/a_b-c.d.jpg' });
    expect(put!.body.equals(body)).toBe(true);
    expect(put!.headers['content-type']).toBe('image/jpeg');
    expect(viaSdk(put!)).toBe(false);
    await expectValidSignature(put!, 'eu-central-1');
  });

  it('gets an object in one signed request, without the SDK', async () => {
    s3.answers.push({ status: 200, body: Buffer.from('the stored bytes') });
    const stream = await storeOf().get('outputs/x/default.webp');
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('the stored bytes');
    expect(s3.received).toHaveLength(1);
    expect(s3.received[0]).toMatchObject({ method: 'GET', path: '/pix/outputs/x/default.webp' });
    expect(viaSdk(s3.received[0]!)).toBe(false);
    await expectValidSignature(s3.received[0]!, 'eu-central-1');
  });

  it('signs the session token of temporary credentials', async () => {
    const temporary = { ...credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' };
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: temporary,
    });
    await expect(createDirectRequests(client, 'pix').put('k.png', Buffer.from('x'), 'image/png')).resolves.toBe(
      'stored',
    );
    const [put] = s3.received;
    expect(put!.headers['x-amz-security-token']).toBe(temporary.sessionToken);
    expect(String(put!.headers.authorization)).toContain('x-amz-security-token');
    await expectValidSignature(put!, 'us-east-1');
  });

  it('sends a refused or failed request again through the SDK, which retries', async () => {
    // Direct PUT: 503; the SDK: 503 once more (it retries), then 200.
    s3.answers.push({ status: 503 }, { status: 503 }, { status: 200 });
    await expect(storeOf().put('k/a.png', Buffer.from('x'))).resolves.toEqual({ bytes: 1 });
    expect(s3.received.map(viaSdk)).toEqual([false, true, true]);
  });

  it('answers a missing key with ObjectNotFoundError and a refusal with the SDK’s typed error', async () => {
    const noSuchKey =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>';
    s3.answers.push({ status: 404, body: noSuchKey }, { status: 404, body: noSuchKey });
    await expect(storeOf().get('k/missing.png')).rejects.toBeInstanceOf(ObjectNotFoundError);
    const denied =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>';
    s3.answers.push({ status: 403, body: denied }, { status: 403, body: denied });
    const err = await storeOf()
      .get('k/secret.png')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3ServiceException);
    expect((err as S3ServiceException).name).toBe('AccessDenied');
    expect(s3.received.map(viaSdk)).toEqual([false, true, false, true]);
  });

  it('stops trying directly once the server has refused what it then took from the SDK', async () => {
    // A server with rules of its own: it refuses the direct requests and serves the SDK's.
    const refusal = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code></Error>';
    const store = storeOf();
    for (let i = 0; i < 3; i++) {
      s3.answers.push({ status: 403, body: refusal }, { status: 200 });
      await expect(store.put(`k/${i}.png`, Buffer.from('x'))).resolves.toEqual({ bytes: 1 });
    }
    expect(s3.received.map(viaSdk)).toEqual([false, true, false, true, false, true]);
    s3.received.length = 0;
    s3.answers.push({ status: 200 }, { status: 200, body: 'body' });
    await store.put('k/3.png', Buffer.from('x'));
    const stream = await store.get('k/3.png');
    stream.resume();
    // Each went to the SDK alone.
    expect(s3.received.map(viaSdk)).toEqual([true, true]);
  });

  it('keeps trying directly after failures that are not refusals', async () => {
    const store = storeOf();
    for (let i = 0; i < 4; i++) {
      s3.answers.push({ status: 503 }, { status: 200 });
      await store.put(`k/${i}.png`, Buffer.from('x'));
    }
    await store.put('k/4.png', Buffer.from('x'));
    expect(s3.received.map(viaSdk)).toEqual([false, true, false, true, false, true, false, true, false]);
  });

  it('falls back to the SDK when nothing answers the direct request', async () => {
    const endpoint = s3.endpoint;
    await s3.close(); // its port now refuses connections
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const direct = createDirectRequests(client, 'pix');
    await expect(direct.put('k.png', Buffer.from('x'), undefined)).resolves.toBe('failed');
    await expect(direct.get('k.png')).resolves.toBe('failed');
  });
});
