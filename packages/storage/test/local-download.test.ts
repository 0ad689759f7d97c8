// The local backend's signed links, as the gateway serves them: what a stranger can and cannot do with a URL.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalStore, DownloadSignatureError, serveLocalDownload, type LocalObjectStore } from '../src';
import { signDownload } from '../src/download-signature';

const SECRET = 'another-test-secret-long-enough-for-the-check-42';

describe('local signed downloads', () => {
  let root: string;
  let server: http.Server;
  let origin: string;
  let store: LocalObjectStore;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pixmill-local-dl-'));
    server = http.createServer((req, res) => void serveLocalDownload(store, req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The public URL has a path of its own, as behind a reverse proxy that keeps it.
    store = createLocalStore({
      root: path.join(root, 'objects'),
      publicUrl: `${origin}/pixmill/`,
      signingSecret: SECRET,
    });
    await store.put('outputs/b/i/thumb.webp', Buffer.from('webp bytes'), { contentType: 'image/webp' });
    await store.put('outputs/b/i/large.webp', Buffer.from('other bytes'), { contentType: 'image/webp' });
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await rm(root, { recursive: true, force: true });
  });
  afterEach(() => jest.restoreAllMocks());

  const link = (opts: { filename?: string; contentType?: string } = {}) =>
    store.signedDownloadUrl('outputs/b/i/thumb.webp', { expiresInSeconds: 300, ...opts });

  async function expectError(url: string, status: number, code: string) {
    const res = await rawGet(url);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      success: false,
      error: expect.any(String),
      code,
      details: null,
      timestamp: expect.any(String),
    });
  }

  /** GET with the path sent exactly as written: fetch() would resolve '..' and '%2e' segments before sending. */
  async function rawGet(url: string): Promise<{ status: number; contentType: string; body: string }> {
    const u = new URL(url);
    const pathAndQuery = url.slice(u.origin.length);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: u.hostname, port: u.port, path: pathAndQuery }, resolve).on('error', reject),
    );
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return {
      status: res.statusCode ?? 0,
      contentType: res.headers['content-type'] ?? '',
      body: Buffer.concat(chunks).toString(),
    };
  }

  it('builds links under the public URL and serves them with type, length and safety headers', async () => {
    const url = await link({ filename: 'thumb.webp' });
    expect(url).toMatch(
      new RegExp(`^${origin}/pixmill/files/outputs/b/i/thumb\\.webp\\?exp=\\d+&name=thumb\\.webp&sig=[0-9a-f]{64}$`),
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'image/webp',
      'content-length': '10',
      'content-disposition': 'attachment; filename="thumb.webp"',
      'x-content-type-options': 'nosniff',
    });
    expect(await res.text()).toBe('webp bytes');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(await link(), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('10');
    expect(await res.text()).toBe('');
  });

  it('refuses any tampering with 403 invalid_signature', async () => {
    const url = new URL(await link({ filename: 'a.webp', contentType: 'image/webp' }));
    const sig = url.searchParams.get('sig') ?? '';
    const variants: ((u: URL) => void)[] = [
      (u) => u.searchParams.set('sig', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1)),
      (u) => u.searchParams.set('sig', sig.toUpperCase()),
      (u) => u.searchParams.delete('sig'),
      (u) => u.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600)),
      (u) => u.searchParams.set('name', 'b.webp'),
      (u) => u.searchParams.delete('name'),
      (u) => u.searchParams.set('type', 'text/html'),
      (u) => u.searchParams.append('name', 'a.webp'),
      (u) => (u.pathname = u.pathname.replace('thumb', 'large')),
      (u) => (u.pathname = '/pixmill/files/outputs/b/i/thumb.webp/'),
      (u) => (u.pathname = '/other/files/outputs/b/i/thumb.webp'),
    ];
    const tampered = variants.map((tamper) => {
      const u = new URL(url);
      tamper(u);
      return u.toString();
    });
    // Paths fetch() would normalise away, sent as they are.
    const query = url.search;
    tampered.push(
      `${origin}/pixmill/files/outputs/b/i/../i/thumb.webp${query}`,
      `${origin}/pixmill/files/outputs/b/i/%2e/thumb.webp${query}`,
      `${origin}/pixmill/files/outputs/b/i//thumb.webp${query}`,
    );
    for (const t of tampered) {
      expect(t).not.toBe(url.toString());
      await expectError(t, 403, 'invalid_signature').catch((err) => {
        throw new Error(`${t}: ${err}`);
      });
    }
    // The untouched link still works, so the 403s above came from the tampering.
    expect((await fetch(url)).status).toBe(200);
  });

  it('cannot be made to read outside its root, even with a correctly signed link', async () => {
    await writeFile(path.join(root, 'secret.txt'), 'not for you');
    const exp = Math.floor(Date.now() / 1000) + 300;
    for (const key of ['../secret.txt', '..%2Fsecret.txt', '%2e%2e/secret.txt', 'outputs/..%2F..%2Fsecret.txt']) {
      const sig = signDownload(SECRET, { key: decodeURIComponent(key), exp });
      await expectError(`${origin}/pixmill/files/${key}?exp=${exp}&sig=${sig}`, 403, 'invalid_signature');
    }
    expect(() => store.resolveSignedDownload('/files/../secret.txt', { exp: String(exp), sig: 'x' })).toThrow(
      DownloadSignatureError,
    );
  });

  it('says link_expired once the expiry has passed', async () => {
    const url = await link();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 301_000);
    await expectError(url, 403, 'link_expired');
  });

  it('answers 404 not_found when the object is gone', async () => {
    await store.put('outputs/b/i/gone.webp', Buffer.from('x'));
    const url = await store.signedDownloadUrl('outputs/b/i/gone.webp', { expiresInSeconds: 60 });
    await store.delete('outputs/b/i/gone.webp');
    await expectError(url, 404, 'not_found');
  });

  it('resolves a link to its key, name and type for callers that stream it themselves', async () => {
    const url = new URL(await link({ filename: 'x.webp', contentType: 'image/webp' }));
    expect(store.resolveSignedDownload(url.pathname, Object.fromEntries(url.searchParams))).toEqual({
      key: 'outputs/b/i/thumb.webp',
      filename: 'x.webp',
      contentType: 'image/webp',
    });
    // Behind a proxy that strips the public path, the gateway sees /files/... directly.
    expect(
      store.resolveSignedDownload(url.pathname.replace('/pixmill', ''), Object.fromEntries(url.searchParams)).key,
    ).toBe('outputs/b/i/thumb.webp');
  });
});

describe('local store setup', () => {
  it('refuses a short signing secret and a non-http public URL', () => {
    expect(() =>
      createLocalStore({ root: '/tmp/x', publicUrl: 'http://localhost:8080', signingSecret: 'short' }),
    ).toThrow('at least 32 bytes');
    expect(() => createLocalStore({ root: '/tmp/x', publicUrl: 'file:///etc', signingSecret: SECRET })).toThrow(
      'http(s)',
    );
  });

  it('creates its root on the health check, and fails it when the root cannot be a folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pixmill-local-check-'));
    try {
      const fresh = createLocalStore({
        root: path.join(dir, 'a', 'b'),
        publicUrl: 'http://localhost:8080',
        signingSecret: SECRET,
      });
      await expect(fresh.check()).resolves.toBeUndefined();
      await writeFile(path.join(dir, 'file'), '');
      const broken = createLocalStore({
        root: path.join(dir, 'file'),
        publicUrl: 'http://localhost:8080',
        signingSecret: SECRET,
      });
      await expect(broken.check()).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
