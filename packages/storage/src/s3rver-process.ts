// s3rver in a child Node process: for the test that needs truncated listings (s3rver encrypts ListObjectsV2
// continuation tokens with DES, which needs --openssl-legacy-provider), and for benchmarks that measure the storage
// server's CPU apart from their own. Everything else uses the in-process startTestS3().
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CHILD = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
server.run().then((a) => process.send({ port: a.port }), (err) => { console.error(err); process.exit(1); });
process.on('disconnect', () => server.close().finally(() => process.exit(0)));
`;

/** What a store needs to use an s3rver bucket (s3rver accepts any signature; its documented key is S3RVER). */
export const s3rverStoreOptions = (endpoint: string, bucket: string) => ({
  endpoint,
  region: 'us-east-1',
  bucket,
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
});

/** s3rver on 127.0.0.1 (free port) in its own process and temp folder, with one fresh bucket; credentials S3RVER/S3RVER. */
export async function startS3rverProcess() {
  const directory = await mkdtemp(path.join(tmpdir(), 'pixmill-s3rver-child-'));
  const bucket = `pixmill-test-${randomBytes(4).toString('hex')}`;
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD, require.resolve('s3rver'), directory, bucket],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit')])) as [{ port: number } | number];
  if (typeof message !== 'object') {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`s3rver child exited with ${message}`);
  }
  const endpoint = `http://127.0.0.1:${message.port}`;
  return {
    endpoint,
    bucket,
    pid: child.pid!,
    options: s3rverStoreOptions(endpoint, bucket),
    async close() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.disconnect();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
