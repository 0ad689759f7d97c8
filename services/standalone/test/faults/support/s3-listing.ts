// Lists what is really in the bucket (ObjectStore has no listing), with the AWS SDK borrowed from @pixmill/storage's
// dependencies (this package has none of its own for it). Pages of more than 1000 keys from s3rver need Node
// started with --openssl-legacy-provider (the `test:faults` script sets it).
import { createRequire } from 'node:module';
import type { TestS3 } from '@pixmill/storage/testing';

type ListPage = {
  Contents?: { Key?: string; Size?: number }[];
  IsTruncated?: boolean;
  NextContinuationToken?: string;
};
type S3Sdk = {
  S3Client: new (config: Record<string, unknown>) => { send(cmd: unknown): Promise<ListPage>; destroy(): void };
  ListObjectsV2Command: new (input: Record<string, unknown>) => unknown;
};

const fromStorage = createRequire(require.resolve('@pixmill/storage/package.json'));
const sdk = fromStorage('@aws-sdk/client-s3') as S3Sdk;

/** Every key under `prefix` with its size. */
export async function listObjects(s3: TestS3, prefix: string): Promise<Map<string, number>> {
  const client = new sdk.S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const out = new Map<string, number>();
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, o.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return out;
}
