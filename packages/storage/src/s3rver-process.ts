// s3rver in a child Node started with --openssl-legacy-provider, for the one test that needs truncated listings
// (s3rver encrypts ListObjectsV2 continuation tokens with DES). Everything else uses the in-process startTestS3().
import { spawn } from 'node:child_process';
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

export async function startLegacyS3rver() {
  const directory = await mkdtemp(path.join(tmpdir(), 'pixmill-s3rver-legacy-'));
  const bucket = 'pixmill-paging';
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD, require.resolve('s3rver'), directory, bucket],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit')])) as [{ port: number } | number];
  if (typeof message !== 'object') throw new Error(`s3rver child exited with ${message}`);
  return {
    options: {
      endpoint: `http://127.0.0.1:${message.port}`,
      region: 'us-east-1',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    async close() {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
