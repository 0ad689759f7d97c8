// Hostile images: bombs, lies about size, broken files, polyglots, SVG that would fetch, endless animations, empty
// files and a 1 GB upload. Each is refused at upload (4xx) or fails its own image with a reason; none takes the
// service down, and none makes it fetch anything (the trap server stays silent).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { photo, pngBomb, truncatedJpeg } from '../support/images';
import { startTrap } from '@pixmill/safe-fetch/testing';
import { errorOf, jsonError } from './support/cases';
import { startAbuse, waitFor, type Abuse, type Auth } from './support/harness';
import {
  jpegHeaderPolyglot,
  jpegWithScript,
  lazyJpegStream,
  manyFrameGif,
  pngDeclaring,
  SCRIPT_MARK,
  svgReferencing,
  truncatedPng,
} from './support/payloads';
import { readData } from '@pixmill/gateway/testing';

const MAX_FILES = 5;

let a: Abuse;
let alice: Auth;
let trap: Awaited<ReturnType<typeof startTrap>>;
let svgServer: http.Server;
let svgOrigin: string;

beforeAll(async () => {
  trap = await startTrap();
  // An allowed loopback host serving an SVG that points at the trap, for the URL-batch path.
  svgServer = http.createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'image/svg+xml' })
      .end(svgReferencing(`http://127.0.0.1:${trap.port}/pixel.png`)),
  );
  await new Promise<void>((resolve) => svgServer.listen(0, '127.0.0.1', resolve));
  svgOrigin = `http://127.0.0.1:${(svgServer.address() as AddressInfo).port}`;
  a = await startAbuse('images', {
    FETCH_ALLOW_HOSTS: svgOrigin.slice('http://'.length),
    MAX_FILES_PER_BATCH: String(MAX_FILES),
  });
  alice = await a.p.userAuth('alice');
});
afterAll(async () => {
  await a?.close();
  await trap?.close();
  svgServer?.closeAllConnections();
  await new Promise<void>((resolve) => (svgServer ? svgServer.close(() => resolve()) : resolve()));
});

/** Uploads one file as a batch and answers how its image ended: `image failed: <code>` or `image succeeded`. */
async function imageOutcome(name: string, data: Buffer, type = 'application/octet-stream'): Promise<string> {
  const res = await a.upload(alice, [{ name, data, type }]);
  if (res.status !== 201) return jsonError(res);
  const { batch_id } = (await readData(res)) as { batch_id: string };
  await a.p.waitForBatch(alice, batch_id, 120_000);
  const [img] = await a.images(alice, batch_id);
  return img ? `image ${img.status}${img.error ? `: ${img.error.code}` : ''}` : 'no image';
}

async function resizeOne(name: string, data: Buffer): Promise<Response> {
  const fd = new FormData();
  fd.append('image', new Blob([new Uint8Array(data)]), name);
  fd.append('width', '100');
  return a.p.api('/api/v1/resize', { method: 'POST', auth: alice, body: fd });
}

describe('image bombs and lies about size', () => {
  it('pixel bomb: 20000x20000 PNG of a few KB', async () => {
    await a.cases.check('pixel bomb 20000x20000 PNG (batch)', 'image failed: pixel_limit', () =>
      imageOutcome('bomb.png', pngBomb()),
    );
  });

  it('PNG declaring 1,000,000 x 1,000,000 pixels', async () => {
    await a.cases.check('PNG declaring 10^12 pixels (POST /resize)', '422 pixel_limit', async () =>
      jsonError(await resizeOne('huge.png', pngDeclaring(1_000_000, 1_000_000))),
    );
  });

  it('PNG declaring the largest dimensions its header allows', async () => {
    await a.cases.check('PNG declaring 2^31-1 x 2^31-1 (decoder refuses the header)', 'image failed: corrupt', () =>
      imageOutcome('max.png', pngDeclaring(2 ** 31 - 1, 2 ** 31 - 1)),
    );
  });

  it('GIF with 5000 frames on a 2000x2000 canvas', async () => {
    await a.cases.check(
      'GIF with 5000 frames (only frame 1 is decoded)',
      'image succeeded: 1 frame, 2000x2000',
      async () => {
        const res = await a.upload(alice, [{ name: 'frames.gif', data: manyFrameGif(5000), type: 'image/gif' }]);
        if (res.status !== 201) return jsonError(res);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        await a.p.waitForBatch(alice, batch_id, 120_000);
        const [img] = await a.images(alice, batch_id);
        if (img?.status !== 'succeeded') return `image ${img?.status}: ${img?.error?.code}`;
        const out = await fetch(img.outputs[0]!.download_url);
        const meta = await sharp(Buffer.from(await out.arrayBuffer()), { pages: -1 }).metadata();
        return `image succeeded: ${meta.pages ?? 1} frame, ${meta.width}x${meta.pageHeight ?? meta.height}`;
      },
    );
  });
});

describe('broken and disguised images', () => {
  it('truncated JPEG', async () => {
    await a.cases.check('truncated JPEG (40% of the file)', 'image failed: truncated', async () =>
      imageOutcome('cut.jpg', await truncatedJpeg(), 'image/jpeg'),
    );
  });

  it('truncated PNG', async () => {
    await a.cases.check('truncated PNG (60% of the file)', 'image failed: truncated', async () =>
      imageOutcome('cut.png', await truncatedPng(), 'image/png'),
    );
  });

  it('truncated JPEG through POST /resize', async () => {
    await a.cases.check('truncated JPEG (POST /resize)', '422 truncated', async () =>
      jsonError(await resizeOne('cut.jpg', await truncatedJpeg())),
    );
  });

  it('polyglot: JPEG header followed by an HTML page with a script', async () => {
    await a.cases.check('polyglot: JPEG header + <script> page', 'image failed: corrupt', () =>
      imageOutcome('poly.jpg', jpegHeaderPolyglot(), 'image/jpeg'),
    );
  });

  it('polyglot: a real JPEG with a script appended', async () => {
    await a.cases.check(
      'polyglot: real JPEG + appended <script> (re-encoded)',
      'image succeeded, outputs free of the script',
      async () => {
        const res = await a.upload(alice, [{ name: 'tail.jpg', data: await jpegWithScript(), type: 'image/jpeg' }]);
        if (res.status !== 201) return jsonError(res);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        await a.p.waitForBatch(alice, batch_id);
        const [img] = await a.images(alice, batch_id);
        if (img?.status !== 'succeeded') return `image ${img?.status}: ${img?.error?.code}`;
        const bytes = Buffer.from(await (await fetch(img.outputs[0]!.download_url)).arrayBuffer());
        return `image succeeded, outputs ${bytes.includes(SCRIPT_MARK) ? 'CARRY' : 'free of'} the script`;
      },
    );
  });

  it('HTML page named photo.jpg and sent as image/jpeg', async () => {
    await a.cases.check('HTML named .jpg, Content-Type image/jpeg', '400 unsupported_file_type', async () =>
      jsonError(
        await a.upload(alice, [
          { name: 'photo.jpg', data: Buffer.from('<html><script>x</script></html>'), type: 'image/jpeg' },
        ]),
      ),
    );
  });

  it('PDF named scan.png', async () => {
    await a.cases.check('PDF named .png', '400 unsupported_file_type', async () =>
      jsonError(
        await a.upload(alice, [
          { name: 'scan.png', data: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'), type: 'image/png' },
        ]),
      ),
    );
  });

  it('zero-byte file in a batch', async () => {
    await a.cases.check('zero-byte file (batch)', '400 unsupported_file_type', async () =>
      jsonError(await a.upload(alice, [{ name: 'empty.jpg', data: Buffer.alloc(0), type: 'image/jpeg' }])),
    );
  });

  it('zero-byte file through POST /resize', async () => {
    await a.cases.check('zero-byte file (POST /resize)', '400 unsupported_file_type', async () =>
      jsonError(await resizeOne('empty.png', Buffer.alloc(0))),
    );
  });

  it('more files than a batch may hold', async () => {
    const small = await photo(16, 16, 'jpeg');
    await a.cases.check(`${MAX_FILES + 1} files, limit ${MAX_FILES}`, '413 payload_too_large', async () =>
      jsonError(
        await a.upload(
          alice,
          Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `f${i}.jpg`, data: small })),
        ),
      ),
    );
  });
});

describe('SVG that references an external URL', () => {
  it('is refused as an upload', async () => {
    await a.cases.check('SVG with external <image href> (batch upload)', '400 unsupported_file_type', async () =>
      jsonError(
        await a.upload(alice, [
          { name: 'x.svg', data: svgReferencing(`http://127.0.0.1:${trap.port}/p.png`), type: 'image/svg+xml' },
        ]),
      ),
    );
  });

  it('is refused through POST /resize', async () => {
    await a.cases.check('SVG with external <image href> (POST /resize)', '400 unsupported_file_type', async () =>
      jsonError(await resizeOne('x.svg', svgReferencing(`http://127.0.0.1:${trap.port}/p.png`))),
    );
  });

  it('fails its image when fetched by URL, without fetching what it references', async () => {
    await a.cases.check(
      'SVG with external <image href> (URL batch)',
      'image failed: unsupported_format, trap 0',
      async () => {
        const res = await a.postJson('/api/v1/batches', { urls: [`${svgOrigin}/drawing.svg`] }, alice);
        if (res.status !== 202) return jsonError(res);
        const { batch_id } = (await readData(res)) as { batch_id: string };
        await a.p.waitForBatch(alice, batch_id);
        const [img] = await a.images(alice, batch_id);
        return `image ${img?.status}: ${img?.error?.code}, trap ${trap.connections()}`;
      },
    );
  });
});

/** Objects under `originals/` in the storage of the process under test. */
const storedOriginals = (): number => a.p.countObjects('originals/');

/**
 * Streams a multipart upload of one `total`-byte file under `field` to `path`, generated as it is sent, and stops
 * sending once the answer has arrived (as a client that reads it would). Answers with the error it got, whether that
 * came before half of the body was sent, and how much this process's memory grew meanwhile.
 */
async function streamedUpload(path: string, field: string, total: number): Promise<string> {
  const boundary = 'abuse-boundary-huge';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="huge.jpg"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const lazy = lazyJpegStream(total);
  const body = Readable.from(
    (async function* () {
      yield head;
      for await (const chunk of lazy.stream) yield chunk as Buffer;
      yield tail;
    })(),
  );
  const objectsBefore = storedOriginals();
  // The memory of the pixmill process under test (its own process), sampled while the upload streams.
  const before = a.p.rssBytes();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, a.p.rssBytes())), 20);
  const answer = await new Promise<{ status: number; text: string; type: string | undefined }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: a.p.port,
      method: 'POST',
      path,
      headers: { ...alice, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        body.unpipe(req);
        body.destroy();
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          type: res.headers['content-type'],
        });
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    body.pipe(req);
  });
  clearInterval(sampler);
  const sentMb = Math.round(lazy.sent() / 2 ** 20);
  const growthMb = Math.round((peak - before) / 2 ** 20);
  console.log(`${path} ${total / 2 ** 20} MiB upload: answered after ${sentMb} MiB sent; RSS growth ${growthMb} MiB`);
  // Refused at the limit: the answer comes while the client is still sending, not after the whole body.
  const when = lazy.sent() < total / 2 ? 'before half of it was sent' : `after ${sentMb} MiB`;
  // The head stored before the limit is removed once its upload settles, after the answer: wait for that. At or below
  // the count before is nothing left by this upload (housekeeping may remove an earlier case's object meanwhile).
  const left = await waitFor('the refused file removed', async () =>
    storedOriginals() <= objectsBefore ? 0 : undefined,
  ).catch(() => storedOriginals() - objectsBefore);
  return `${errorOf(answer.status, answer.type, answer.text)} ${when}, RSS growth ${growthMb < 200 ? '< 200 MB' : `${growthMb} MB`}, ${left} object(s) left`;
}

describe('a 1 GB upload', () => {
  it('is refused at the size limit while streaming, with bounded memory', async () => {
    await a.cases.check(
      '1 GB image upload, generated lazily (batch)',
      '413 payload_too_large before half of it was sent, RSS growth < 200 MB, 0 object(s) left',
      () => streamedUpload('/api/v1/batches', 'files[]', 1024 ** 3),
    );
  });

  it('is refused the same way by POST /resize', async () => {
    await a.cases.check(
      '1 GB image upload, generated lazily (POST /resize)',
      '413 payload_too_large before half of it was sent, RSS growth < 200 MB, 0 object(s) left',
      () => streamedUpload('/api/v1/resize', 'image', 1024 ** 3),
    );
  });
});
