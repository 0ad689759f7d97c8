// Abuse of HTTP itself: bodies too big, too deep, compressed into bombs, of the wrong type; path traversal in
// download links and ids; header injection through file and batch names. Runs on local-disk storage, so downloads
// go through the gateway's own signed /files/ route.
import { gzipSync } from 'node:zlib';
import { deriveDownloadSecret } from '@pixmill/runtime';
import { signDownload } from '@pixmill/storage/testing';
import { photo } from '../support/images';
import { errorOf, jsonError } from './support/cases';
import { rawRequest, startAbuse, type Abuse, type Auth, type RawAnswer } from './support/harness';
import { freePort } from '@pixmill/db/testing';
import { dataIn, readData } from '@pixmill/gateway/testing';

let a: Abuse;
let alice: Auth;
let port: number;
let batchId: string;
/** A real signed download link of one of alice's outputs. */
let link: URL;

const raw = (path: string, o: Parameters<typeof rawRequest>[1] = { path }) => rawRequest(port, { ...o, path });
const rawError = (r: RawAnswer) => errorOf(r.status, r.headers['content-type'], r.body);

beforeAll(async () => {
  port = await freePort();
  a = await startAbuse('http', {
    S3_BUCKET: '',
    S3_ENDPOINT: '',
    S3_ACCESS_KEY_ID: '',
    S3_SECRET_ACCESS_KEY: '',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  alice = await a.p.userAuth('alice');
  const res = await a.upload(alice, [{ name: 'plain.jpg', data: await photo(80, 60), type: 'image/jpeg' }]);
  batchId = ((await readData(res)) as { batch_id: string }).batch_id;
  await a.p.waitForBatch(alice, batchId);
  const [img] = await a.images(alice, batchId);
  link = new URL(img!.outputs[0]!.download_url);
});
afterAll(() => a?.close());

describe('request bodies', () => {
  /** A POST with a raw body: JSON unless `headers` names another content type; as alice unless `auth` says. */
  const json = (
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
    auth: Auth | Record<string, never> = alice,
  ) => a.p.api(path, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body });

  it('oversized JSON', async () => {
    await a.cases.check('2 MB JSON body (limit 1 MB)', '413 payload_too_large', async () =>
      jsonError(await json('/api/v1/api-keys', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }))),
    );
  });

  it('oversized JSON without credentials', async () => {
    await a.cases.check('2 MB JSON to login (anonymous)', '413 payload_too_large', async () =>
      jsonError(await json('/api/v1/auth/login', JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }), {}, {})),
    );
  });

  it('a gzip bomb', async () => {
    await a.cases.check('gzip bomb: 1 MB on the wire, 64 MB inflated', '413 payload_too_large', async () => {
      const bomb = gzipSync(
        Buffer.concat([Buffer.from('{"name":"'), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]),
      );
      return jsonError(await json('/api/v1/api-keys', bomb, { 'content-encoding': 'gzip' }));
    });
  });

  it('an unknown content encoding', async () => {
    await a.cases.check('Content-Encoding: zstd', '415 unsupported_media_type', async () =>
      jsonError(await json('/api/v1/api-keys', '{"name":"k"}', { 'content-encoding': 'zstd' })),
    );
  });

  it('deep nesting', async () => {
    await a.cases.check('JSON nested 100,000 levels deep', '400 invalid_json', async () =>
      jsonError(await json('/api/v1/batches', `{"urls":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)),
    );
  });

  it('deep nesting without credentials', async () => {
    await a.cases.check('JSON nested 40 levels to login (anonymous)', '400 invalid_json', async () =>
      jsonError(await json('/api/v1/auth/login', `{"username":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`, {}, {})),
    );
  });

  it('broken JSON', async () => {
    await a.cases.check('truncated JSON', '400 invalid_json', async () =>
      jsonError(await json('/api/v1/api-keys', '{"name": "k"')),
    );
  });

  it('JSON in a charset we do not read', async () => {
    await a.cases.check('application/json; charset=iso-8859-1', '415 unsupported_media_type', async () =>
      jsonError(
        await json('/api/v1/api-keys', '{"name":"k"}', { 'content-type': 'application/json; charset=iso-8859-1' }),
      ),
    );
  });

  it('text/plain to the batch route', async () => {
    await a.cases.check('POST /batches as text/plain', '415 unsupported_media_type', async () =>
      jsonError(await json('/api/v1/batches', 'http://x.example/a.jpg', { 'content-type': 'text/plain' })),
    );
  });

  it('XML to login', async () => {
    await a.cases.check('POST /auth/login as application/xml', '415 unsupported_media_type', async () =>
      jsonError(
        await json(
          '/api/v1/auth/login',
          '<login><username>alice</username></login>',
          { 'content-type': 'application/xml' },
          {},
        ),
      ),
    );
  });

  it('multipart to a JSON route', async () => {
    await a.cases.check('multipart form to POST /api-keys', '415 unsupported_media_type', async () => {
      const fd = new FormData();
      fd.append('name', 'k');
      return jsonError(await a.p.api('/api/v1/api-keys', { method: 'POST', auth: alice, body: fd }));
    });
  });

  it('multipart that never ends', async () => {
    await a.cases.check('multipart body cut before its closing boundary', '400 malformed_upload', async () =>
      jsonError(
        await json('/api/v1/batches', '--xyz\r\nContent-Disposition: form-data; name="batch_name"\r\n\r\nhalf', {
          'content-type': 'multipart/form-data; boundary=xyz',
        }),
      ),
    );
  });

  it('multipart without a boundary', async () => {
    await a.cases.check('multipart/form-data without a boundary', '400 malformed_upload', async () =>
      jsonError(await json('/api/v1/batches', 'files[]=x', { 'content-type': 'multipart/form-data' })),
    );
  });

  it('a file part cut short', async () => {
    await a.cases.check('multipart image part cut mid-file (POST /resize)', '400 malformed_upload', async () =>
      jsonError(
        await json(
          '/api/v1/resize',
          Buffer.concat([
            Buffer.from('--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n'),
            (await photo(64, 64)).subarray(0, 300),
          ]),
          { 'content-type': 'multipart/form-data; boundary=xyz' },
        ),
      ),
    );
  });

  it('repeated query parameters', async () => {
    await a.cases.check('?per_page=10&per_page=1000000', '400 validation_error', async () =>
      jsonError(await a.p.api(`/api/v1/batches/${batchId}/images?per_page=10&per_page=1000000`, { auth: alice })),
    );
  });
});

describe('path traversal', () => {
  const files = (name: string, path: string, expected = '403 invalid_signature') =>
    it(name, async () => {
      await a.cases.check(name, expected, async () => rawError(await raw(path)));
    });

  files('/files/../../../etc/passwd', '/files/../../../etc/passwd');
  files('/files/%2e%2e/%2e%2e/etc/passwd', '/files/%2e%2e/%2e%2e/etc/passwd');
  files('/files/..%2f..%2f..%2fetc%2fpasswd', '/files/..%2f..%2f..%2fetc%2fpasswd');
  files('/files/ with a NUL byte (%00)', '/files/outputs%00/../../etc/passwd');

  it('a real signed link walked out of its key with ../', async () => {
    await a.cases.check('signed link, path rewritten with ../ to another key', '403 invalid_signature', async () => {
      const escaped = `${link.pathname}/../../../../../../etc/passwd${link.search}`;
      return rawError(await raw(escaped));
    });
  });

  it("a real signed link's signature on another key", async () => {
    await a.cases.check("signed link's query moved to another key", '403 invalid_signature', async () => {
      const [img] = await a.images(alice, batchId);
      const original = (await a.p.db.image.findUniqueOrThrow({ where: { id: img!.id } })).originalKey!;
      return rawError(await raw(`/files/${original}${link.search}`));
    });
  });

  it('a real signed link asking for text/html', async () => {
    await a.cases.check('signed link with type=text/html added', '403 invalid_signature', async () => {
      const u = new URL(link);
      u.searchParams.set('type', 'text/html');
      return rawError(await raw(`${u.pathname}${u.search}`));
    });
  });

  it('an expired signed link', async () => {
    await a.cases.check('correctly signed link that expired', '403 link_expired', async () => {
      const key = decodeURIComponent(link.pathname.slice('/files/'.length));
      const exp = Math.floor(Date.now() / 1000) - 60;
      const sig = signDownload(deriveDownloadSecret(a.p.settings.JWT_SECRET!), { key, exp });
      return rawError(await raw(`/files/${key}?exp=${exp}&sig=${sig}`));
    });
  });

  it('the real link works (control)', async () => {
    await a.cases.check('control: the signed link as issued', '200 image/webp|image/jpeg', async () => {
      const r = await raw(`${link.pathname}${link.search}`);
      return `${r.status} ${/^image\/(webp|jpeg)/.test(r.headers['content-type'] ?? '') ? 'image/webp|image/jpeg' : r.headers['content-type']}`;
    });
  });

  it('traversal in an API id', async () => {
    await a.cases.check('GET /api/v1/batches/..%2F..%2Fadmin%2Fqueue%2Fstatus', '404 not_found', async () =>
      rawError(await raw('/api/v1/batches/..%2F..%2Fadmin%2Fqueue%2Fstatus', { path: '', headers: alice })),
    );
  });

  it('traversal in a recipe variant name (it names output files)', async () => {
    await a.cases.check('recipe variant named ../../../etc/cron.d/x', '400 invalid_recipe', async () =>
      jsonError(
        await a.upload(alice, [{ name: 'v.jpg', data: await photo(16, 16) }], {
          recipe: JSON.stringify({ variants: [{ name: '../../../etc/cron.d/x', width: 10 }] }),
        }),
      ),
    );
  });

  it('traversal in an uploaded file name', async () => {
    await a.cases.check(
      'upload named ../../../../etc/passwd.jpg',
      '201, key inside the batch, download name without slashes',
      async () => {
        const res = await a.upload(alice, [{ name: '../../../../etc/passwd.jpg', data: await photo(16, 16) }]);
        if (res.status !== 201) return jsonError(res);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        const row = await a.p.db.image.findFirstOrThrow({ where: { batchId: batch_id } });
        await a.p.waitForBatch(alice, batch_id);
        const [img] = await a.images(alice, batch_id);
        const d = await fetch(img!.outputs[0]!.download_url);
        const disposition = d.headers.get('content-disposition') ?? '';
        const inside = row.originalKey?.startsWith(`originals/${batch_id}/`) && !row.originalKey.includes('..');
        const name = /filename="([^"]*)"/.exec(disposition)?.[1] ?? '';
        return `${res.status}, key ${inside ? 'inside the batch' : `OUTSIDE: ${row.originalKey}`}, download name ${/[/\\]/.test(name) ? `WITH slashes: ${name}` : 'without slashes'}`;
      },
    );
  });
});

describe('header injection through names', () => {
  /** Multipart by hand: the file name goes in RFC 5987 `filename*`, percent-encoded, as busboy decodes it. */
  function multipart(filename: string, data: Buffer): { body: Buffer; type: string } {
    const b = 'abuse-hdr-boundary';
    const head =
      `--${b}\r\nContent-Disposition: form-data; name="files[]"; filename="x.jpg"; filename*=UTF-8''${encodeURIComponent(filename)}\r\n` +
      'Content-Type: image/jpeg\r\n\r\n';
    return {
      body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${b}--\r\n`)]),
      type: `multipart/form-data; boundary=${b}`,
    };
  }

  /** Headers of a download: exactly one Content-Disposition line, no Set-Cookie, no raw CR/LF or quote in the name. */
  function headerVerdict(r: RawAnswer): string {
    const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
    const dispositions = names.filter((n) => n === 'content-disposition').length;
    const value = r.headers['content-disposition'] ?? '';
    const quoted = /filename="([^"]*)"/.exec(value)?.[1];
    const problems = [
      names.includes('set-cookie') && 'Set-Cookie injected',
      names.includes('x-injected') && 'X-Injected injected',
      dispositions !== 1 && `${dispositions} Content-Disposition`,
      /[\r\n]/.test(value) && 'CR/LF in header',
      quoted === undefined && !/^attachment$/.test(value) && `unparsable: ${value}`,
    ].filter(Boolean);
    return problems.length ? problems.join(', ') : 'one clean Content-Disposition';
  }

  it('a file name carrying CR LF and a Set-Cookie header', async () => {
    await a.cases.check(
      'upload named "a.jpg\\r\\nSet-Cookie: sid=evil" -> download',
      '201, one clean Content-Disposition',
      async () => {
        const { body, type } = multipart('a.jpg\r\nSet-Cookie: sid=evil\r\nX-Injected: 1', await photo(16, 16));
        const up = await raw('/api/v1/batches', {
          method: 'POST',
          path: '',
          headers: { ...alice, 'content-type': type },
          body,
        });
        if (up.status !== 201) return rawError(up);
        const { batch_id } = dataIn<{ batch_id: string }>(JSON.parse(up.body));
        await a.p.waitForBatch(alice, batch_id);
        const [img] = await a.images(alice, batch_id);
        const u = new URL(img!.outputs[0]!.download_url);
        return `${up.status}, ${headerVerdict(await raw(`${u.pathname}${u.search}`))}`;
      },
    );
  });

  it('a file name with quotes and a second filename parameter', async () => {
    await a.cases.check(
      'upload named x"; filename="evil.html -> download',
      '201, one clean Content-Disposition',
      async () => {
        const { body, type } = multipart('x"; filename="evil.html', await photo(16, 16));
        const up = await raw('/api/v1/batches', {
          method: 'POST',
          path: '',
          headers: { ...alice, 'content-type': type },
          body,
        });
        if (up.status !== 201) return rawError(up);
        const { batch_id } = dataIn<{ batch_id: string }>(JSON.parse(up.body));
        await a.p.waitForBatch(alice, batch_id);
        const [img] = await a.images(alice, batch_id);
        const u = new URL(img!.outputs[0]!.download_url);
        const r = await raw(`${u.pathname}${u.search}`);
        const html = /evil\.html"?\s*(;|$)/.test(r.headers['content-disposition'] ?? '');
        return `${up.status}, ${html ? 'download named evil.html' : headerVerdict(r)}`;
      },
    );
  });

  it('a batch name carrying CR LF into the results CSV download', async () => {
    await a.cases.check(
      'batch_name "r\\r\\nSet-Cookie: sid=evil" -> results.csv',
      '201, one clean Content-Disposition',
      async () => {
        const res = await a.upload(alice, [{ name: 'r.jpg', data: await photo(16, 16) }], {
          batch_name: 'r\r\nSet-Cookie: sid=evil\r\nX-Injected: 1',
        });
        if (res.status !== 201) return jsonError(res);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        await a.p.waitForBatch(alice, batch_id);
        return `${res.status}, ${headerVerdict(await raw(`/api/v1/batches/${batch_id}/results.csv`, { path: '', headers: alice }))}`;
      },
    );
  });

  it('a downloaded file can not be rendered as a page of the gateway', async () => {
    await a.cases.check('download headers: nosniff and sandbox', 'nosniff, sandbox', async () => {
      const r = await raw(`${link.pathname}${link.search}`);
      return `${r.headers['x-content-type-options']}, ${r.headers['content-security-policy']}`;
    });
  });
});
