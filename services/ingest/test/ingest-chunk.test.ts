// The ingest handler over real PostgreSQL and S3, fetching from loopback servers started here: originals stored
// and resize jobs written through the outbox, each URL fetched once, bad URLs failed with their reason, redelivery
// changing nothing, and the SSRF guard holding for every URL a stranger can put in a CSV.
import diagnostics from 'node:diagnostics_channel';
import { promises as dns } from 'node:dns';
import type { Lookup } from '@pixmill/safe-fetch';
import type { ObjectStore } from '@pixmill/storage';
import { WorkerStoppingError } from '../src/handlers/ingest-chunk.handler';
import pLimit from 'p-limit';
import { startImageServer, startTrap, PNG, type ImageServer } from '@pixmill/safe-fetch/testing';
import { imagesOf, resizeJobs, startIngestEnv, type IngestEnv } from './support/ingest-env';
import { chunkManifestKey } from '@pixmill/contracts';
import { readChunkManifest } from '../src/chunk-manifest';

let img: ImageServer;
let trap: Awaited<ReturnType<typeof startTrap>>;
let env: IngestEnv;
const asked: string[] = [];

// Names the tests point at private addresses; anything else resolves for real (localhost only, in practice).
const stubbed: Record<string, string> = {
  'intranet.test': '10.0.0.1',
  'router.test': '192.168.1.1',
  'metadata.test': '169.254.169.254',
  'ula.test': 'fd00::1',
  'mdns.test': '224.0.0.251',
};
const lookup: Lookup = async (host) => {
  asked.push(host);
  const address = stubbed[host];
  if (address) return [{ address, family: address.includes(':') ? 6 : 4 }];
  const answers = await dns.lookup(host, { all: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

// Every socket undici really connects, by address: only the image server may ever appear here.
const connected: string[] = [];
const onConnected = (m: unknown) => {
  const socket = (m as { socket?: { remoteAddress?: string; remotePort?: number } }).socket;
  connected.push(`${socket?.remoteAddress}:${socket?.remotePort}`);
};

beforeAll(async () => {
  diagnostics.subscribe('undici:client:connected', onConnected);
  img = await startImageServer();
  trap = await startTrap();
  env = await startIngestEnv({ allowHosts: [`127.0.0.1:${img.port}`], lookup });
});
afterAll(async () => {
  diagnostics.unsubscribe('undici:client:connected', onConnected);
  await env?.close();
  await img?.close();
  await trap?.close();
});
afterEach(() => {
  expect(trap.connections()).toBe(0);
  expect(connected.filter((c) => c !== `127.0.0.1:${img.port}`)).toEqual([]);
  img.onRequest = undefined;
});

const u = (path: string) => `${img.origin}${path}`;

async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of (await store.get(key)) as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

describe('ingesting a chunk', () => {
  it('stores each original by its bytes and writes one resize job per image through the outbox', async () => {
    const { batchId, chunkIds } = await env.batch([
      [u('/img/one.png'), `${u('/img/two.jpg')}, ${u('/img/three.png')}`],
    ]);
    await env.run(batchId, chunkIds[0]!);

    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.rowNumber, i.urlIndex, i.status, i.contentType])).toEqual([
      [1, 0, 'pending', 'image/png'],
      [2, 0, 'pending', 'image/jpeg'],
      [2, 1, 'pending', 'image/png'],
    ]);
    for (const i of images) {
      expect(i.originalKey).toBe(`originals/${batchId}/${i.id}.${i.contentType === 'image/png' ? 'png' : 'jpg'}`);
      expect(i.chunkId).toBe(chunkIds[0]);
      expect(i.sourceRow).toEqual({ 'Input Image Urls': expect.any(String) });
    }
    expect(await readObject(env.store, images[0]!.originalKey!)).toEqual(PNG);
    expect(await resizeJobs(env.prisma, batchId)).toEqual(images.map((i) => i.id).sort());

    const chunk = await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } });
    expect(chunk).toMatchObject({ status: 'completed', fetched: 3, failed: 0, worker: 'test-host/1' });
    expect(chunk.completedAt!.getTime()).toBeGreaterThanOrEqual(chunk.startedAt!.getTime());
    const batch = await env.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.status).toBe('processing');
    expect(batch.startedAt).not.toBeNull();
  });

  it('changes nothing and fetches nothing when the job is delivered again', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/again-1.png'), u('/img/again-2.png')]]);
    await env.run(batchId, chunkIds[0]!);
    const before = { images: await imagesOf(env.prisma, batchId), jobs: await resizeJobs(env.prisma, batchId) };
    // As if the worker died after its work but before marking the chunk done.
    await env.prisma.chunk.update({ where: { id: chunkIds[0] }, data: { status: 'processing' } });
    await env.run(batchId, chunkIds[0]!, { attempt: 2 });
    await env.run(batchId, chunkIds[0]!, { attempt: 3 });

    expect(await imagesOf(env.prisma, batchId)).toEqual(before.images);
    expect(await resizeJobs(env.prisma, batchId)).toEqual(before.jobs);
    expect([img.hits('/img/again-1.png'), img.hits('/img/again-2.png')]).toEqual([1, 1]);
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'completed',
      fetched: 2,
    });
  });

  it('leaves the chunk alone while its batch is paused', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/paused.png')]]);
    await env.prisma.batch.update({ where: { id: batchId }, data: { status: 'paused' } });
    await env.run(batchId, chunkIds[0]!);
    expect(img.hits('/img/paused.png')).toBe(0);
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'pending',
    });
  });

  it('stops taking URLs when the batch is paused mid-chunk, and finishes them after a resume', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/p1.png'), u('/img/p2.png'), u('/img/p3.png')]]);
    img.onRequest = async (path) => {
      if (path === '/img/p1.png') await env.prisma.batch.update({ where: { id: batchId }, data: { status: 'paused' } });
    };
    // One fetch at a time: the pause, made while the first is answered, is seen before the next starts.
    await env.run(batchId, chunkIds[0]!, { deps: { limiter: pLimit(1) } });
    expect([img.hits('/img/p1.png'), img.hits('/img/p2.png'), img.hits('/img/p3.png')]).toEqual([1, 0, 0]);
    const chunk = await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } });
    expect(chunk.status).toBe('pending');
    expect((await imagesOf(env.prisma, batchId)).map((i) => i.originalKey === null)).toEqual([false, true, true]);

    img.onRequest = undefined;
    await env.prisma.batch.update({ where: { id: batchId }, data: { status: 'processing' } });
    await env.run(batchId, chunkIds[0]!);
    expect((await imagesOf(env.prisma, batchId)).every((i) => i.originalKey !== null)).toBe(true);
    expect([img.hits('/img/p1.png'), img.hits('/img/p2.png'), img.hits('/img/p3.png')]).toEqual([1, 1, 1]);
  });
});

describe('repeated URLs', () => {
  it('are fetched once in a batch, within a chunk and across chunks', async () => {
    const a = u('/img/dup-a.png');
    const b = u('/img/dup-b.png');
    const { batchId, chunkIds } = await env.batch([[a, b, a], [`${a},${b}`]]);
    await env.run(batchId, chunkIds[0]!);
    await env.run(batchId, chunkIds[1]!);
    expect([img.hits('/img/dup-a.png'), img.hits('/img/dup-b.png')]).toEqual([1, 1]);
    const images = await imagesOf(env.prisma, batchId);
    expect(images).toHaveLength(5);
    const keyOf = (url: string) => new Set(images.filter((i) => i.sourceUrl === url).map((i) => i.originalKey));
    expect(keyOf(a).size).toBe(1);
    expect(keyOf(b).size).toBe(1);
    expect([...keyOf(a)][0]).toMatch(/^originals\//);
    expect(await resizeJobs(env.prisma, batchId)).toHaveLength(5);
  });

  it('fail with the reason of their first occurrence, without another request', async () => {
    const bad = u('/status/404');
    const { batchId, chunkIds } = await env.batch([[bad], [bad]]);
    const before = img.hits('/status/404');
    await env.run(batchId, chunkIds[0]!);
    await env.run(batchId, chunkIds[1]!);
    expect(img.hits('/status/404') - before).toBe(1);
    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.status, i.errorCode])).toEqual([
      ['failed', 'http_404'],
      ['failed', 'http_404'],
    ]);
    // Every image failed at fetch: the batch ends, once, as failed.
    expect(await env.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({
      status: 'failed',
      processedImages: 2,
      failedImages: 2,
    });
  });

  it('wait for another chunk that is fetching their first occurrence', async () => {
    const url = u('/img/shared.png');
    const { batchId, chunkIds } = await env.batch([[url], [url]]);
    // The later chunk runs first: its image waits for the first occurrence instead of fetching.
    const later = env.handler({ duplicateWaitMs: 20_000 })(
      { v: 1, batchId, chunkId: chunkIds[1]! },
      { messageId: 'l', attempt: 1, redelivered: false },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(img.hits('/img/shared.png')).toBe(0);
    await env.run(batchId, chunkIds[0]!);
    await later;
    expect(img.hits('/img/shared.png')).toBe(1);
    const keys = (await imagesOf(env.prisma, batchId)).map((i) => i.originalKey);
    expect(keys[0]).not.toBeNull();
    expect(keys[1]).toBe(keys[0]);
  });

  it('are fetched by the later chunk when the first occurrence never lands', async () => {
    const url = u('/img/orphan.png');
    const { batchId, chunkIds } = await env.batch([[url], [url]]);
    await env.run(batchId, chunkIds[1]!, { deps: { duplicateWaitMs: 200 } });
    expect(img.hits('/img/orphan.png')).toBe(1);
    // Only the later chunk ran, so its image is the only one there is.
    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.rowNumber, i.status, i.contentType])).toEqual([[2, 'pending', 'image/png']]);
    expect(images[0]!.originalKey).not.toBeNull();
  });
  it('are fetched on their own when the first occurrence named holds another URL (a hash collision)', async () => {
    const [a, b] = [u('/img/collide-a.png'), u('/img/collide-b.png')];
    const { batchId, chunkIds } = await env.batch([[a], [b]]);
    // What the gateway writes when the two URLs' hashes collide: b marked as a repeat of a.
    const key = chunkManifestKey(batchId, 2);
    const manifest = await readChunkManifest(env.store, batchId, 2);
    manifest.rows[0]!.urls[0]!.dupOf = [1, 0];
    await env.store.put(key, Buffer.from(JSON.stringify(manifest)));

    await env.run(batchId, chunkIds[0]!);
    await env.run(batchId, chunkIds[1]!);
    expect([img.hits('/img/collide-a.png'), img.hits('/img/collide-b.png')]).toEqual([1, 1]);
    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.sourceUrl, i.status])).toEqual([
      [a, 'pending'],
      [b, 'pending'],
    ]);
    expect(images[1]!.originalKey).not.toBeNull();
    expect(images[1]!.originalKey).not.toBe(images[0]!.originalKey);
  });
});

describe('bad URLs fail their own image with a reason; good rows in the same chunk succeed', () => {
  it('refuses every loopback form, redirects to the trap, and non-http schemes, sending the trap nothing', async () => {
    const t = trap.port;
    const bad: [string, string][] = [
      [`http://127.0.0.1:${t}/x.png`, 'blocked_address'],
      [`http://localhost:${t}/x.png`, 'blocked_address'],
      [`http://0x7f000001:${t}/x.png`, 'blocked_address'],
      [`http://2130706433:${t}/x.png`, 'blocked_address'],
      [`http://127.1:${t}/x.png`, 'blocked_address'],
      [`http://0177.0.0.1:${t}/x.png`, 'blocked_address'],
      [`http://[::ffff:127.0.0.1]:${t}/x.png`, 'blocked_address'],
      [`http://[::1]:${t}/x.png`, 'blocked_address'],
      [`http://0.0.0.0:${t}/x.png`, 'blocked_address'],
      [`${u('/redirect')}?to=${encodeURIComponent(`http://127.0.0.1:${t}/x.png`)}`, 'blocked_address'],
      [`${u('/redirect')}?to=${encodeURIComponent(`http://localhost:${t}/x.png`)}`, 'blocked_address'],
      ['file:///etc/passwd', 'blocked_scheme'],
      [`gopher://127.0.0.1:${t}/_GET%20/`, 'blocked_scheme'],
      ['not a url at all', 'invalid_url'],
      [`http://user:secret@127.0.0.1:${img.port}/img/creds.png`, 'invalid_url'],
    ];
    const good = [u('/img/good-1.png'), u('/img/good-2.jpg')];
    const rows = [good[0]!, ...bad.map(([url]) => url), good[1]!];
    const { batchId, chunkIds } = await env.batch([rows]);
    await env.run(batchId, chunkIds[0]!);

    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.sourceUrl, i.status, i.errorCode])).toEqual([
      [good[0], 'pending', null],
      ...bad.map(([url, code]) => [url, 'failed', code]),
      [good[1], 'pending', null],
    ]);
    for (const i of images.filter((x) => x.status === 'failed')) {
      expect(i.errorMessage!.length).toBeGreaterThan(10);
      expect(i.errorMessage).not.toMatch(/127\.0\.0\.1:\d+.*resolves/); // no resolved addresses in messages
      expect(i.originalKey).toBeNull();
    }
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'completed',
      fetched: 2,
      failed: bad.length,
    });
    expect(await env.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({
      status: 'processing',
      processedImages: bad.length,
      failedImages: bad.length,
    });
    expect(await resizeJobs(env.prisma, batchId)).toHaveLength(2);
  });

  it('refuses names whose DNS answer is private, link-local, metadata or multicast, and the literals, before any connection', async () => {
    const urls = [
      'http://intranet.test/a.png',
      'http://router.test/a.png',
      'http://metadata.test/latest/meta-data/',
      'http://ula.test/a.png',
      'http://10.0.0.1/a.png',
      'http://192.168.1.1/a.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/a.png',
      'http://[::ffff:169.254.169.254]/',
      'http://mdns.test/a.png',
      'http://224.0.0.1/a.png',
      'http://[ff02::1]/a.png',
    ];
    asked.length = 0;
    const { batchId, chunkIds } = await env.batch([urls]);
    await env.run(batchId, chunkIds[0]!);
    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => i.errorCode)).toEqual(urls.map(() => 'blocked_address'));
    // The names were refused at the address check on their (stubbed) answers; literals never reached DNS.
    expect(new Set(asked)).toEqual(new Set(['intranet.test', 'router.test', 'metadata.test', 'ula.test', 'mdns.test']));
  });

  it('times out on a server that never answers, after its retries', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/slow')]]);
    await env.run(batchId, chunkIds[0]!);
    const [i] = await imagesOf(env.prisma, batchId);
    expect(i).toMatchObject({ status: 'failed', errorCode: 'timeout' });
    expect(i!.errorMessage).toContain('after 2 tries');
    expect(img.hits('/slow')).toBe(2);
  });

  it('cuts a 2 GB body at the byte cap without reading it', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/huge')]]);
    await env.run(batchId, chunkIds[0]!);
    const [i] = await imagesOf(env.prisma, batchId);
    expect(i).toMatchObject({ status: 'failed', errorCode: 'too_large' });
    expect(img.hits('/huge')).toBe(1); // not worth retrying
    // What the server managed to write before the connection closed: socket buffers, not gigabytes.
    expect(img.hugeBytesSent()).toBeLessThan(64 * 1024 * 1024);
  });

  it('retries a 503 and succeeds on the next answer', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/flaky/one')]]);
    await env.run(batchId, chunkIds[0]!);
    const [i] = await imagesOf(env.prisma, batchId);
    expect(i).toMatchObject({ status: 'pending', contentType: 'image/png' });
    expect(img.hits('/flaky/one')).toBe(2);
  });

  it.each([
    ['/status/404', 'http_404', 1],
    ['/status/410', 'http_410', 1],
    ['/status/500', 'http_500', 2],
    ['/text', 'not_an_image', 1],
    ['/pdf', 'unsupported_format', 1],
  ])('fails %s with %s after %i request(s)', async (path, code, requests) => {
    const before = img.hits(path);
    const { batchId, chunkIds } = await env.batch([[u(path)]]);
    await env.run(batchId, chunkIds[0]!);
    const [i] = await imagesOf(env.prisma, batchId);
    expect(i).toMatchObject({ status: 'failed', errorCode: code });
    expect(img.hits(path) - before).toBe(requests);
  });
});

describe('when things break', () => {
  it('retries through the queue while storage fails, and fails what is left on the last attempt so the batch ends', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/s1.png'), u('/img/s2.png')]]);
    const broken = {
      ...env.store,
      get: env.store.get.bind(env.store),
      put: async () => Promise.reject(new Error('storage is down')),
    };
    await expect(env.run(batchId, chunkIds[0]!, { attempt: 1, deps: { store: broken } })).rejects.toThrow(
      'storage is down',
    );
    expect((await imagesOf(env.prisma, batchId)).every((i) => ['pending', 'fetching'].includes(i.status))).toBe(true);

    await env.run(batchId, chunkIds[0]!, { attempt: env.settings.QUEUE_MAX_ATTEMPTS, deps: { store: broken } });
    const images = await imagesOf(env.prisma, batchId);
    expect(images.map((i) => [i.status, i.errorCode])).toEqual([
      ['failed', 'internal_error'],
      ['failed', 'internal_error'],
    ]);
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'failed',
      failed: 2,
    });
    expect(await env.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({
      status: 'failed',
      processedImages: 2,
    });
  });

  it('hands the chunk back when the worker stops, and the next delivery finishes it', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/stop-1.png'), u('/img/stop-2.png')]]);
    const stopping = new AbortController();
    stopping.abort();
    await expect(env.run(batchId, chunkIds[0]!, { deps: { signal: stopping.signal } })).rejects.toBeInstanceOf(
      WorkerStoppingError,
    );
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'pending',
    });
    await env.run(batchId, chunkIds[0]!, { attempt: 2 });
    expect((await imagesOf(env.prisma, batchId)).map((i) => i.status)).toEqual(['pending', 'pending']);
    expect(await env.prisma.chunk.findUniqueOrThrow({ where: { id: chunkIds[0] } })).toMatchObject({
      status: 'completed',
      fetched: 2,
    });
  });

  it('does nothing for a chunk whose batch was deleted', async () => {
    const { batchId, chunkIds } = await env.batch([[u('/img/gone.png')]]);
    await env.prisma.batch.delete({ where: { id: batchId } });
    await env.run(batchId, chunkIds[0]!);
    expect(img.hits('/img/gone.png')).toBe(0);
  });
});
