// One behavioural suite, run against both backends: whatever passes here, services may rely on.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  BodyLengthError,
  createLocalStore,
  InvalidKeyError,
  ObjectNotFoundError,
  serveLocalDownload,
  type ObjectStore,
} from '../src';
import { startTestS3 } from '../src/testing';
import { bytesOnDisk, digest, filesUnder, generatedBody, readAll, waitFor } from './support/bodies';

type Harness = { store: ObjectStore; dataDir: string; close(): Promise<void> };

const SECRET = 'test-signing-secret-that-is-long-enough-0123456789';

async function localHarness(): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pixmill-local-store-'));
  // The gateway's part, as small as it gets: GET /files/* goes to serveLocalDownload.
  const server = http.createServer((req, res) => {
    serveLocalDownload(store, req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const store = createLocalStore({ root: dataDir, publicUrl: `http://127.0.0.1:${port}`, signingSecret: SECRET });
  return {
    store,
    dataDir,
    async close() {
      server.closeAllConnections();
      server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function s3Harness(): Promise<Harness> {
  const s3 = await startTestS3();
  return { store: s3.store, dataDir: s3.directory, close: s3.close };
}

const MB = 1024 * 1024;

describe.each([
  ['s3', s3Harness],
  ['local', localHarness],
] as const)('%s object store', (kind, start) => {
  let h: Harness;
  let store: ObjectStore;
  beforeEach(async () => {
    h = await start();
    store = h.store;
  });
  afterEach(() => h.close());

  it('reports its kind', () => {
    expect(store.kind).toBe(kind);
  });

  it('round-trips a Buffer and keeps its content type', async () => {
    const body = Buffer.from('a small PNG, honestly');
    await expect(store.put('originals/b1/i1.png', body, { contentType: 'image/png' })).resolves.toEqual({
      bytes: body.length,
    });
    await expect(store.head('originals/b1/i1.png')).resolves.toEqual({ bytes: body.length, contentType: 'image/png' });
    expect(await readAll(await store.get('originals/b1/i1.png'))).toEqual(body);
  });

  it('round-trips a stream and counts its bytes', async () => {
    const parts = ['first,', 'second,', 'third'].map((s) => Buffer.from(s));
    await expect(store.put('csv/b2/input.csv', Readable.from(parts))).resolves.toEqual({ bytes: 18 });
    expect((await readAll(await store.get('csv/b2/input.csv'))).toString()).toBe('first,second,third');
    await expect(store.put('csv/b2/empty.csv', Readable.from([]))).resolves.toEqual({ bytes: 0 });
    expect(await readAll(await store.get('csv/b2/empty.csv'))).toHaveLength(0);
  });

  it('overwrites an object with a new body', async () => {
    await store.put('outputs/b/i/v.webp', Buffer.from('old body'), { contentType: 'image/webp' });
    await store.put('outputs/b/i/v.webp', Buffer.from('new'), { contentType: 'image/jpeg' });
    expect((await readAll(await store.get('outputs/b/i/v.webp'))).toString()).toBe('new');
    await expect(store.head('outputs/b/i/v.webp')).resolves.toEqual({ bytes: 3, contentType: 'image/jpeg' });
  });

  it('streams 20 MB through byte-identical, writing before the body has ended', async () => {
    const total = 20 * MB;
    // Production stops at 12 MB until 5 MB have reached the backend's disk: a store that held the whole body in
    // memory before writing would never get there, and the put would fail.
    const body = generatedBody(total, {
      at: 12 * MB,
      resumeWhen: () =>
        waitFor(async () => (await bytesOnDisk(h.dataDir)) >= 5 * MB, 'the store to write part of the body'),
    });
    await expect(store.put('big/20mb.bin', body.stream, { contentLength: total })).resolves.toEqual({ bytes: total });
    await expect(store.head('big/20mb.bin')).resolves.toMatchObject({ bytes: total });
    await expect(digest(await store.get('big/20mb.bin'))).resolves.toEqual({ sha256: body.sha256(), bytes: total });
  });

  it('shows an object only once its put has finished', async () => {
    await store.put('atomic/old.bin', Buffer.from('version one'));
    const replacing = new PassThrough();
    const fresh = new PassThrough();
    const puts = [store.put('atomic/old.bin', replacing), store.put('atomic/new.bin', fresh)];
    replacing.write(Buffer.alloc(MB, 7));
    fresh.write(Buffer.alloc(MB, 7));
    await waitFor(
      () => replacing.readableLength === 0 && fresh.readableLength === 0,
      'the store to take the first megabyte',
    );
    // Mid-upload: readers still see the old object, and no new one at all.
    expect((await readAll(await store.get('atomic/old.bin'))).toString()).toBe('version one');
    await expect(store.head('atomic/new.bin')).resolves.toBeNull();
    await expect(store.get('atomic/new.bin')).rejects.toBeInstanceOf(ObjectNotFoundError);
    replacing.end(Buffer.alloc(MB, 8));
    fresh.end(Buffer.alloc(MB, 8));
    await expect(Promise.all(puts)).resolves.toEqual([{ bytes: 2 * MB }, { bytes: 2 * MB }]);
    await expect(store.head('atomic/old.bin')).resolves.toMatchObject({ bytes: 2 * MB });
    await expect(store.head('atomic/new.bin')).resolves.toMatchObject({ bytes: 2 * MB });
  });

  it('answers null for head and ObjectNotFoundError for get of a missing key', async () => {
    await expect(store.head('nothing/here.png')).resolves.toBeNull();
    await expect(store.get('nothing/here.png')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await store.put('folder/child.png', Buffer.from('x'));
    await expect(store.get('folder')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.head('folder')).resolves.toBeNull();
  });

  it('deletes one object, and deleting a missing key is fine', async () => {
    await store.put('del/a.png', Buffer.from('a'));
    await store.put('del/b.png', Buffer.from('b'));
    await store.delete('del/a.png');
    await expect(store.head('del/a.png')).resolves.toBeNull();
    await expect(store.head('del/b.png')).resolves.toEqual(expect.objectContaining({ bytes: 1 }));
    await expect(store.delete('del/a.png')).resolves.toBeUndefined();
    await expect(store.delete('never/was.png')).resolves.toBeUndefined();
  });

  it('deletePrefix removes everything under the prefix and nothing else, and counts it', async () => {
    const gone = ['outputs/b1/i1/thumb.webp', 'outputs/b1/i1/large.webp', 'outputs/b1/i2/thumb.webp'];
    const kept = ['outputs/b10/i1/thumb.webp', 'outputs/b1x.webp', 'originals/b1/i1.png', 'other/outputs/b1/i1.png'];
    for (const key of [...gone, ...kept]) await store.put(key, Buffer.from(key), { contentType: 'image/webp' });
    await expect(store.deletePrefix('outputs/b1/')).resolves.toBe(3);
    for (const key of gone) await expect(store.head(key)).resolves.toBeNull();
    for (const key of kept) await expect(store.head(key)).resolves.toMatchObject({ bytes: key.length });
    await expect(store.deletePrefix('outputs/b1/')).resolves.toBe(0);
    await expect(store.deletePrefix('never/')).resolves.toBe(0);
    // Without the slash 'outputs/b1' would also match 'outputs/b10/...' on S3.
    await expect(store.deletePrefix('outputs/b1')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.deletePrefix('/')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.deletePrefix('../')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('refuses a body that is not the announced length, and stores nothing', async () => {
    await expect(store.put('len/short.bin', Buffer.alloc(10), { contentLength: 11 })).rejects.toBeInstanceOf(
      BodyLengthError,
    );
    await expect(
      store.put('len/short.bin', Readable.from([Buffer.alloc(10)]), { contentLength: 11 }),
    ).rejects.toBeInstanceOf(BodyLengthError);
    await expect(
      store.put('len/long.bin', Readable.from([Buffer.alloc(6 * MB)]), { contentLength: 10 }),
    ).rejects.toBeInstanceOf(BodyLengthError);
    await expect(store.head('len/short.bin')).resolves.toBeNull();
    await expect(store.head('len/long.bin')).resolves.toBeNull();
  });

  it('stores nothing when the body stream fails halfway', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(MB, 1);
        throw new Error('client went away');
      })(),
    );
    await expect(store.put('fail/x.bin', failing)).rejects.toThrow('client went away');
    await expect(store.head('fail/x.bin')).resolves.toBeNull();
  });

  describe('a body stream that fails', () => {
    // What a caller sees of a put whose body fails: a rejection with the body's error, no object, nothing left on
    // the backend's disk, and no 'error' event without a listener (which would end the process).
    // s3rver answers AbortMultipartUpload with 405 and keeps the parts under ._S3rver_uploads (S3 and MinIO remove
    // them); objects are what the suite compares.
    const leftFiles = async () => (await filesUnder(h.dataDir)).filter((f) => !f.includes('/._S3rver_uploads/'));
    const putFailing = async (key: string, fail: (body: PassThrough) => Promise<void> | void) => {
      const before = await leftFiles();
      const body = new PassThrough();
      const put = store.put(key, body, { contentType: 'text/csv' });
      expect(body.listenerCount('error')).toBeGreaterThan(0);
      await fail(body);
      await expect(put).rejects.toThrow('the client refused it');
      expect(body.destroyed).toBe(true);
      await expect(store.head(key)).resolves.toBeNull();
      expect(await leftFiles()).toEqual(before);
    };
    const taken = (body: PassThrough) => waitFor(() => body.readableLength === 0, 'the store to take the data');

    it('before the store has opened anything', async () => {
      await putFailing('fail/early.csv', (body) => void body.destroy(new Error('the client refused it')));
    });

    it('right after its first bytes', async () => {
      await putFailing('fail/first.csv', (body) => {
        body.write('url\n');
        body.destroy(new Error('the client refused it'));
      });
    });

    it('midway, once the store is writing', async () => {
      await putFailing('fail/midway.csv', async (body) => {
        body.write(Buffer.alloc(MB, 1));
        await taken(body);
        body.destroy(new Error('the client refused it'));
      });
    });

    it('after its last byte, instead of ending', async () => {
      await putFailing('fail/last.csv', async (body) => {
        body.write(Buffer.alloc(6 * MB, 1));
        await taken(body);
        await new Promise((r) => setTimeout(r, 200));
        body.destroy(new Error('the client refused it'));
      });
    });

    it('that has already failed when the put starts', async () => {
      const body = new PassThrough();
      body.on('error', () => undefined);
      body.destroy(new Error('gone before'));
      await expect(store.put('fail/before.csv', body)).rejects.toThrow();
      await expect(store.head('fail/before.csv')).resolves.toBeNull();
    });

    it('that closes without an error before its end', async () => {
      const body = new PassThrough();
      const put = store.put('fail/closed.csv', body);
      body.write('url\n');
      body.destroy();
      await expect(put).rejects.toThrow();
      await expect(store.head('fail/closed.csv')).resolves.toBeNull();
    });

    it('is destroyed when the key is refused, so its source is not left waiting', async () => {
      const body = new PassThrough();
      await expect(store.put('../escape.csv', body)).rejects.toBeInstanceOf(InvalidKeyError);
      expect(body.destroyed).toBe(true);
    });
  });

  it('refuses unsafe keys in every operation', async () => {
    const bad = [
      '',
      '..',
      '../escape.txt',
      'a/../../escape.txt',
      '/etc/passwd',
      'a//b',
      'a/',
      './a',
      'a/./b',
      'a\\..\\b',
      'a\0b',
      'a b',
      'a?b',
      'é.png',
      'x'.repeat(1025),
      'a/' + 'x'.repeat(201),
    ];
    for (const key of bad) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.head(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.signedDownloadUrl(key, { expiresInSeconds: 60 })).rejects.toBeInstanceOf(InvalidKeyError);
    }
    // Nothing landed beside the data folder either.
    await expect(bytesOnDisk(path.dirname(h.dataDir) + '/escape.txt')).resolves.toBe(0);
    // The longest key allowed: 1024 bytes in segments of at most 200.
    const longest = [...Array(5).fill('x'.repeat(200)), 'y'.repeat(19)].join('/');
    expect(Buffer.byteLength(longest)).toBe(1024);
    await expect(store.put(longest, Buffer.from('fits'))).resolves.toEqual({ bytes: 4 });
    expect((await readAll(await store.get(longest))).toString()).toBe('fits');
  });

  it('signs download URLs that work over HTTP until they expire', async () => {
    const body = Buffer.from('\x89PNG pretend image bytes');
    await store.put('outputs/b/i/thumb.png', body, { contentType: 'image/png' });
    const url = await store.signedDownloadUrl('outputs/b/i/thumb.png', {
      expiresInSeconds: 1,
      filename: 'holiday.png',
    });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('content-length')).toBe(String(body.length));
    expect(ok.headers.get('content-disposition')).toBe('attachment; filename="holiday.png"');
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(body);

    await new Promise((r) => setTimeout(r, 2100));
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(Buffer.from(await late.arrayBuffer())).not.toEqual(body);
  });

  it('lets the URL override the content type', async () => {
    await store.put('exports/b/results.csv', Buffer.from('a,b\n'), { contentType: 'application/octet-stream' });
    const url = await store.signedDownloadUrl('exports/b/results.csv', {
      expiresInSeconds: 60,
      contentType: 'text/csv',
    });
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(await res.text()).toBe('a,b\n');
  });

  it('neutralises quotes and CR/LF in the download filename', async () => {
    await store.put('outputs/b/i/evil.png', Buffer.from('x'));
    const filename = 'evil"\r\nSet-Cookie: session=stolen\r\n\r\n<script>.png';
    const res = await fetch(await store.signedDownloadUrl('outputs/b/i/evil.png', { expiresInSeconds: 60, filename }));
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).not.toMatch(/[\r\n]/);
    // One quoted ASCII name with no quote inside, and the exact name (minus control characters) percent-encoded.
    expect(disposition).toBe(
      `attachment; filename="evil_Set-Cookie: session=stolen<script>.png"; ` +
        `filename*=UTF-8''evil%22Set-Cookie%3A%20session%3Dstolen%3Cscript%3E.png`,
    );
    await expect(
      store.signedDownloadUrl('outputs/b/i/evil.png', { expiresInSeconds: 60, contentType: 'text/html\r\nX: y' }),
    ).rejects.toThrow('invalid content type');
  });

  it('passes its health check', async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });
});
