// S3-only behaviour: paging through long listings, the public endpoint of presigned URLs, failing health checks.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createS3Store } from '../src';
import { startS3rverProcess, startTestS3 } from '../src/testing';

describe('s3 store', () => {
  it('deletePrefix follows continuation tokens across list pages', async () => {
    // Truncated listings need s3rver under --openssl-legacy-provider, so this one runs it in a child process.
    const s3 = await startS3rverProcess();
    try {
      const store = createS3Store({ ...s3.options, listPageSize: 2 });
      const keys = Array.from({ length: 7 }, (_, i) => `batches/b1/${i}.png`);
      for (const key of [...keys, 'batches/b2/0.png']) await store.put(key, Buffer.from(key));
      await expect(store.deletePrefix('batches/b1/')).resolves.toBe(7);
      for (const key of keys) await expect(store.head(key)).resolves.toBeNull();
      await expect(store.head('batches/b2/0.png')).resolves.toMatchObject({ bytes: 16 });
    } finally {
      await s3.close();
    }
  });

  it('refuses a list page size S3 would not honour', () => {
    const base = { region: 'us-east-1', bucket: 'b', forcePathStyle: true };
    expect(() => createS3Store({ ...base, listPageSize: 0 })).toThrow(RangeError);
    expect(() => createS3Store({ ...base, listPageSize: 1001 })).toThrow(RangeError);
    expect(() => createS3Store({ ...base, accessKeyId: 'only-half' })).toThrow('together');
  });

  it('presigns for the public endpoint when one is set', async () => {
    const s3 = await startTestS3();
    try {
      const store = createS3Store({ ...s3.options, publicEndpoint: 'https://files.example.test' });
      await s3.store.put('outputs/x.png', Buffer.from('x'));
      const url = new URL(await store.signedDownloadUrl('outputs/x.png', { expiresInSeconds: 60, filename: 'x.png' }));
      expect(url.origin).toBe('https://files.example.test');
      expect(url.pathname).toBe(`/${s3.bucket}/outputs/x.png`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="x.png"');
      // The plain store still signs for the endpoint it talks to.
      expect(new URL(await s3.store.signedDownloadUrl('outputs/x.png', { expiresInSeconds: 60 })).origin).toBe(
        s3.endpoint,
      );
    } finally {
      await s3.close();
    }
  });

  it('fails its health check when the bucket is missing or nothing answers', async () => {
    const s3 = await startTestS3();
    try {
      await expect(createS3Store({ ...s3.options, bucket: 'no-such-bucket' }).check()).rejects.toThrow();
    } finally {
      await s3.close();
    }
    const spare = http.createServer();
    spare.listen(0, '127.0.0.1');
    await once(spare, 'listening');
    const { port } = spare.address() as AddressInfo;
    spare.close();
    await expect(createS3Store({ ...s3.options, endpoint: `http://127.0.0.1:${port}` }).check()).rejects.toThrow();
  });
});
