// Test helper: a real S3 endpoint (in-process s3rver on loopback) with a fresh bucket, for any package's integration tests.
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { ObjectStore } from './object-store';
import { createS3Store } from './s3.store';
import { s3rverStoreOptions } from './s3rver-process';

export { startS3rverProcess } from './s3rver-process';

export type TestS3 = {
  endpoint: string;
  bucket: string;
  store: ObjectStore;
  options: Parameters<typeof createS3Store>[0];
  /** s3rver's data folder (removed by close). */
  directory: string;
  close(): Promise<void>;
};

/**
 * Starts s3rver on 127.0.0.1 (free port), in its own temp folder, with one fresh bucket; credentials S3RVER/S3RVER.
 * s3rver checks presigned expiry but not signatures. Listings longer than one page (deletePrefix of more than
 * `listPageSize` keys, 1000 by default) need Node started with --openssl-legacy-provider, or s3rver answers 500.
 * `address`: where it listens instead of loopback (the scale suite's test-host address).
 */
export async function startTestS3(address = '127.0.0.1'): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'pixmill-s3rver-'));
  const bucket = `pixmill-test-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({
    address,
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://${address}:${port}`;
  const options = s3rverStoreOptions(endpoint, bucket);
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    store: createS3Store(options),
    options,
    directory,
    close: () =>
      (closed ??= (async () => {
        await server.close();
        await rm(directory, { recursive: true, force: true });
      })()),
  };
}

/**
 * True when this process can serve truncated s3rver listings: s3rver encrypts ListObjectsV2 continuation tokens
 * with DES, which OpenSSL 3 offers only through its legacy provider (`NODE_OPTIONS=--openssl-legacy-provider`).
 */
export function legacyOpenSslEnabled(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

/** Signs a local download link as the store does, for tests that forge or replay one. */
export { signDownload } from './download-signature';
