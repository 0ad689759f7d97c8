// The fast presigner against the SDK's getSignedUrl: for the same key, options and time, the same URL (host, path,
// every query parameter, the signature included), for path-style endpoints, virtual-hosted ones and AWS itself.
// Nothing is sent anywhere: presigning is offline.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from '../src/http-headers';
import { createGetPresigner } from '../src/presign-get';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-11-22T10:00:00Z');

const configs: [string, ConstructorParameters<typeof S3Client>[0]][] = [
  [
    'path-style endpoint (MinIO, s3rver)',
    { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true },
  ],
  [
    'virtual-hosted endpoint',
    { endpoint: 'https://storage.example.test', region: 'eu-central-1', forcePathStyle: false },
  ],
  ['AWS, us-east-1', { region: 'us-east-1' }],
  ['AWS, eu-west-1', { region: 'eu-west-1' }],
  ['AWS, path style', { region: 'ap-southeast-2', forcePathStyle: true }],
];

const keys = ['outputs/5f1c/0a2b/default.jpg', 'originals/batch=1/a_b-c.d.png', 'x'];
const options: { filename?: string; contentType?: string }[] = [
  {},
  { filename: 'photo.jpg', contentType: 'image/jpeg' },
  { filename: 'Ünïcode "quoted" (1); name*.webp', contentType: 'image/webp' },
];

const normalise = (url: string) => {
  const u = new URL(url);
  return { origin: u.origin, path: u.pathname, query: [...u.searchParams.entries()].sort() };
};

describe.each(configs)('presigned GET URLs, %s', (_name, config) => {
  // As the store builds its client (s3.store.ts): no checksum mode on GETs.
  const client = new S3Client({
    ...config,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const presign = createGetPresigner(client, 'pixmill-bucket');

  it.each(keys)('equal the SDK’s for key %s, with and without response headers', async (key) => {
    for (const o of options) {
      const disposition = o.filename === undefined ? undefined : contentDisposition(o.filename);
      const expected = await getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: 'pixmill-bucket',
          Key: key,
          ResponseContentDisposition: disposition,
          ResponseContentType: o.contentType,
        }),
        { expiresIn: 900, signingDate },
      );
      const actual = await presign(key, {
        expiresInSeconds: 900,
        contentDisposition: disposition,
        contentType: o.contentType,
        signingDate,
      });
      expect(normalise(actual)).toEqual(normalise(expected));
    }
  });
});
