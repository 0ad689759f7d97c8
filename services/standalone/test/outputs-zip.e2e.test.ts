// All outputs of a batch as one ZIP, as a user gets them from `pnpm start` with nothing configured: real photographs
// through the in-process pipeline, then the ZIP read back with a strict reader and each entry checked with sharp.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { landscape, sharpPhoto } from '@pixmill/analysis/testing';
import { startEmbeddedProcess, type EmbeddedProcess } from './support/embedded-process';
import { unzip } from './support/unzip';
import { readData, readError } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type Output = { variant: string; format: string; width: number; height: number; bytes: number };
type Item = { original_name: string; outputs: Output[] };

let p: EmbeddedProcess;
let alice: Auth;
let bob: Auth;
let batchId: string;
let items: Item[];

const RECIPE = {
  variants: [
    { name: 'thumb', width: 200, height: 200, fit: 'cover', format: 'webp', quality: 70 },
    { name: 'web', width: 640, fit: 'inside', format: 'jpeg', quality: 80 },
  ],
};
/** Untrusted names: a path, a dot-dot path, and the same file name twice. */
const NAMES = ['holiday/Dune.jpg', 'Dune.jpg', '../../etc/Elephants.jpg'];

async function userAuth(admin: Auth, username: string): Promise<Auth> {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const created = await fetch(`${p.base}/api/v1/users`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, role: 'user' }),
  });
  expect(created.status).toBe(201);
  const login = await fetch(`${p.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { Authorization: `Bearer ${(await readData(login)).access_token}` };
}

const zipOf = (auth: Auth, query = '') =>
  fetch(`${p.base}/api/v1/batches/${batchId}/outputs.zip${query}`, { headers: auth });

beforeAll(async () => {
  p = await startEmbeddedProcess();
  const admin = await p.adminAuth();
  alice = await userAuth(admin, 'alice');
  bob = await userAuth(admin, 'bob');
  const fd = new FormData();
  const photos = [landscape(), landscape(), sharpPhoto()];
  NAMES.forEach((name, i) =>
    fd.append('files[]', new Blob([new Uint8Array(photos[i]!)], { type: 'image/jpeg' }), name),
  );
  fd.append('recipe', JSON.stringify(RECIPE));
  const res = await fetch(`${p.base}/api/v1/batches`, { method: 'POST', headers: alice, body: fd });
  expect(res.status).toBe(201);
  batchId = (await readData(res)).batch_id;
  for (;;) {
    const progress = await readData(await fetch(`${p.base}/api/v1/batches/${batchId}/progress`, { headers: alice }));
    if (['completed', 'failed', 'cancelled'].includes(progress.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  items = (await readData(await fetch(`${p.base}/api/v1/batches/${batchId}/images`, { headers: alice }))).items;
}, 180_000);
afterAll(async () => {
  await p?.stop();
});

describe('GET /api/v1/batches/{id}/outputs.zip', () => {
  it('holds every output under a safe, unique name, as stored (not deflated), with the outputs’ sizes and formats', async () => {
    const res = await zipOf(alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.zip"/);
    const entries = await unzip(Buffer.from(await res.arrayBuffer()));

    // Paths are dropped, the repeated name gets -2 (which of the two is first follows the image ids).
    expect(entries.map((e) => e.name).sort()).toEqual([
      'Dune-2/thumb.webp',
      'Dune-2/web.jpg',
      'Dune/thumb.webp',
      'Dune/web.jpg',
      'Elephants/thumb.webp',
      'Elephants/web.jpg',
    ]);
    const expected = items
      .flatMap((i) => i.outputs)
      .map((o) => `${o.variant} ${o.format} ${o.width}x${o.height} ${o.bytes}`);
    const found: string[] = [];
    for (const e of entries) {
      expect(e.compression).toBe(0); // STORE: images are compressed already
      const meta = await sharp(e.data).metadata();
      found.push(`${e.name.split('/')[1]!.split('.')[0]} ${meta.format} ${meta.width}x${meta.height} ${e.data.length}`);
    }
    expect(found.sort()).toEqual(expected.sort());
    // The cover thumbnails are the recipe's 200x200 WebP; the web size fits inside 640.
    expect(found.filter((f) => f.startsWith('thumb ')).every((f) => f.includes('webp 200x200'))).toBe(true);
  });

  it('picks one variant with ?variant=, and names the variants when asked for another', async () => {
    const entries = await unzip(Buffer.from(await (await zipOf(alice, '?variant=web')).arrayBuffer()));
    expect(entries.map((e) => e.name).sort()).toEqual(['Dune-2/web.jpg', 'Dune/web.jpg', 'Elephants/web.jpg']);

    const bad = await zipOf(alice, '?variant=huge');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await readError(bad))).toContain('thumb, web');
  });

  it('is the owner’s only: another user gets the 404 of a batch that does not exist', async () => {
    const res = await zipOf(bob);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });
});
