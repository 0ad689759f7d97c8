// Image batches end to end: HTTP upload → storage → outbox → RabbitMQ → resize (sharp) → storage → PostgreSQL → API.
import sharp from 'sharp';
import { enqueue } from '@pixmill/queue';
import { photo, pngBomb, sidewaysJpeg, truncatedJpeg } from './support/images';
import { startPipeline, type Pipeline } from './support/pipeline';
import { dataOf, errorOf, readData, readError } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type ImageItem = {
  id: string;
  original_name: string;
  status: string;
  error: { code: string; message: string } | null;
  outputs: { variant: string; format: string; width: number; height: number; bytes: number; download_url: string }[];
};

let p: Pipeline;
let alice: Auth;
let bob: Auth;

beforeAll(async () => {
  p = await startPipeline();
  alice = await p.userAuth('alice');
  bob = await p.userAuth('bob');
});
afterAll(async () => {
  await p?.close();
});

function form(files: { name: string; data: Buffer; type?: string }[], fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const f of files)
    fd.append('files[]', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'application/octet-stream' }), f.name);
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return fd;
}

async function upload(auth: Auth, fd: FormData, headers: Record<string, string> = {}) {
  const res = await p.api('/api/v1/batches', { method: 'POST', auth, body: fd, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { batch_id: string } };
}

async function images(auth: Auth, batchId: string): Promise<ImageItem[]> {
  const res = await p.api(`/api/v1/batches/${batchId}/images?per_page=100`, { auth });
  expect(res.status).toBe(200);
  return ((await readData(res)) as { items: ImageItem[] }).items;
}

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const recipe = {
  variants: [
    { name: 'thumb', width: 200, height: 200, fit: 'cover', format: 'webp', quality: 70 },
    { name: 'medium', width: 640, height: 640, fit: 'inside', format: 'jpeg', quality: 80 },
    { name: 'small_avif', width: 160, fit: 'inside', format: 'avif', quality: 50 },
  ],
};

describe('image batches end to end', () => {
  let batchId: string;
  let sideways: Buffer;

  beforeAll(async () => {
    sideways = await sidewaysJpeg();
    const fd = form(
      [
        { name: 'landscape.jpg', data: await photo(1200, 800, 'jpeg'), type: 'image/jpeg' },
        { name: 'portrait.png', data: await photo(600, 900, 'png'), type: 'image/png' },
        { name: 'square.webp', data: await photo(700, 700, 'webp'), type: 'image/webp' },
        { name: 'scan.tiff', data: await photo(500, 400, 'tiff'), type: 'image/tiff' },
        { name: 'sideways.jpg', data: sideways, type: 'image/jpeg' },
      ],
      { batch_name: 'five', recipe: JSON.stringify(recipe) },
    );
    const res = await upload(alice, fd);
    expect(res.status).toBe(201);
    expect(dataOf(res)).toMatchObject({ batch_name: 'five', total_images: 5 });
    batchId = dataOf(res).batch_id;
  });

  it('processes every image into every variant with the asked size and format, downloadable', async () => {
    const done = await p.waitForBatch(alice, batchId);
    expect(done).toMatchObject({
      status: 'completed',
      total_images: 5,
      processed_images: 5,
      successful_count: 5,
      failed_count: 0,
      progress_percentage: 100,
    });
    const items = await images(alice, batchId);
    expect(items).toHaveLength(5);
    for (const img of items) {
      expect(img.status).toBe('succeeded');
      expect(img.outputs.map((o) => o.variant).sort()).toEqual(['medium', 'small_avif', 'thumb']);
      for (const o of img.outputs) {
        const meta = await sharp(await download(o.download_url)).metadata();
        expect({ w: meta.width, h: meta.height }).toEqual({ w: o.width, h: o.height });
        const expected = { thumb: 'webp', medium: 'jpeg', small_avif: 'heif' }[o.variant];
        expect(meta.format).toBe(expected);
        if (o.variant === 'thumb') expect([o.width, o.height]).toEqual([200, 200]);
        if (o.variant === 'medium') expect(Math.max(o.width, o.height)).toBeLessThanOrEqual(640);
      }
    }
    const landscape = items.find((i) => i.original_name === 'landscape.jpg')!;
    expect(landscape.outputs.find((o) => o.variant === 'medium')).toMatchObject({ width: 640, height: 427 });
  });

  it('turns an EXIF-rotated photo upright', async () => {
    const items = await images(alice, batchId);
    const img = items.find((i) => i.original_name === 'sideways.jpg')!;
    const medium = img.outputs.find((o) => o.variant === 'medium')!;
    expect([medium.width, medium.height]).toEqual([200, 300]);
    // Upright, the red half is on top.
    const { data } = await sharp(await download(medium.download_url))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const top = data.subarray(0, 3);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
  });

  it('hides the batch from another user on every read route', async () => {
    for (const path of ['', '/progress', '/images', '/events']) {
      const res = await p.api(`/api/v1/batches/${batchId}${path}`, { auth: bob });
      expect(res.status).toBe(404);
      expect((await readError(res)).code).toBe('not_found');
    }
  });

  it('changes nothing when a resize message is delivered again', async () => {
    const before = await images(alice, batchId);
    const detailBefore = await readData(await p.api(`/api/v1/batches/${batchId}`, { auth: alice }));
    await p.app.clients.prisma.$transaction((tx) =>
      enqueue(tx, 'resize.image', { v: 1, batchId, imageId: before[0]!.id }),
    );
    // Wait until the outbox relay published it and the worker consumed it.
    await new Promise((r) => setTimeout(r, 1500));
    const detailAfter = (await readData(await p.api(`/api/v1/batches/${batchId}`, { auth: alice }))) as Record<
      string,
      unknown
    >;
    expect(detailAfter.processed_images).toBe(5);
    expect(detailAfter.successful_count).toBe(5);
    expect(detailAfter.completed_at).toBe((detailBefore as Record<string, unknown>).completed_at);
    const outputs = await p.app.clients.prisma.output.count({ where: { image: { batchId } } });
    expect(outputs).toBe(15);
    const depth = await p.app.clients.transport.depth('resize.image');
    expect(depth.ready + depth.deadLettered).toBe(0);
  });
});

describe('progress', () => {
  it('goes from 0 to 100, with a polling hint, and SSE sends progress then an end event', async () => {
    const res = await upload(
      alice,
      form(
        [
          { name: 'a.jpg', data: await photo(800, 600) },
          { name: 'b.jpg', data: await photo(800, 600) },
        ],
        { auto_start: 'false' },
      ),
    );
    expect(res.status).toBe(201);
    expect(dataOf(res).status).toBe('pending');
    const id = dataOf(res).batch_id;
    const first = await p.api(`/api/v1/batches/${id}/progress`, { auth: alice });
    expect(first.headers.get('x-polling-interval')).toMatch(/^\d+$/);
    expect(await readData(first)).toMatchObject({ progress: 0, processed_images: 0 });

    // Not started: start it through the database as the start route would (issue 6 adds the route), via the outbox.
    const { prisma } = p.app.clients;
    const events = collectSse(`${p.url}/api/v1/batches/${id}/events`, alice);
    await prisma.$transaction(async (tx) => {
      await tx.batch.update({ where: { id }, data: { status: 'queued' } });
      for (const img of await tx.image.findMany({ where: { batchId: id } }))
        await enqueue(tx, 'resize.image', { v: 1, batchId: id, imageId: img.id });
    });
    const received = await events;
    expect(received.at(-1)?.event).toBe('end');
    const last = JSON.parse(received.at(-1)!.data) as { progress: number; status: string };
    expect(last).toMatchObject({ progress: 100, status: 'completed' });
    expect(received.filter((e) => e.event === 'progress').length).toBeGreaterThanOrEqual(2);
  });
});

async function collectSse(url: string, auth: Auth): Promise<{ event: string; data: string }[]> {
  const res = await fetch(url, { headers: auth });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text(); // the server ends the stream after the end event
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data } : null;
    })
    .filter((e): e is { event: string; data: string } => e !== null);
}

describe('bad images', () => {
  it('fails each bad image with its reason and still completes the batch with counts that add up', async () => {
    const res = await upload(
      alice,
      form([
        { name: 'good1.jpg', data: await photo(640, 480) },
        { name: 'good2.png', data: await photo(320, 240, 'png') },
        { name: 'truncated.jpg', data: await truncatedJpeg() },
        { name: 'bomb.png', data: pngBomb() },
      ]),
    );
    expect(res.status).toBe(201);
    const id = dataOf(res).batch_id;
    // A text file renamed .jpg never gets past the gateway (see below); put one straight in front of the worker.
    const { prisma, store } = p.app.clients;
    await store.put(`originals/${id}/fake.jpg`, Buffer.from('just some text, not an image\n'.repeat(20)));
    await prisma.$transaction(async (tx) => {
      const img = await tx.image.create({
        data: { batchId: id, originalName: 'notes.jpg', originalKey: `originals/${id}/fake.jpg` },
      });
      await tx.batch.update({ where: { id }, data: { totalImages: { increment: 1 } } });
      await enqueue(tx, 'resize.image', { v: 1, batchId: id, imageId: img.id });
    });

    const done = await p.waitForBatch(alice, id);
    expect(done).toMatchObject({
      status: 'completed',
      total_images: 5,
      processed_images: 5,
      successful_count: 2,
      failed_count: 3,
    });
    const byName = Object.fromEntries((await images(alice, id)).map((i) => [i.original_name, i]));
    expect(byName['good1.jpg']!.status).toBe('succeeded');
    expect(byName['good2.png']!.status).toBe('succeeded');
    expect(byName['truncated.jpg']!.error?.code).toBe('truncated');
    expect(byName['bomb.png']!.error?.code).toBe('pixel_limit');
    expect(byName['notes.jpg']!.error?.code).toBe('not_an_image');
    for (const name of ['truncated.jpg', 'bomb.png', 'notes.jpg']) {
      expect(byName[name]!.status).toBe('failed');
      expect(byName[name]!.error?.message.length).toBeGreaterThan(5);
      expect(byName[name]!.outputs).toEqual([]);
    }
    // Acked, not redelivered forever: nothing left in the queue or dead-lettered.
    const depth = await p.app.clients.transport.depth('resize.image');
    expect(depth.ready + depth.deadLettered).toBe(0);
  });

  it('refuses a non-image at upload with 400 naming the file, and stores nothing', async () => {
    const batchesBefore = await p.app.clients.prisma.batch.count();
    const res = await upload(
      alice,
      form([
        { name: 'ok.jpg', data: await photo(100, 100) },
        { name: 'evil.jpg', data: Buffer.from('<script>alert(1)</script>') },
      ]),
    );
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('unsupported_file_type');
    expect(JSON.stringify(errorOf(res))).toContain('evil.jpg');
    expect(await p.app.clients.prisma.batch.count()).toBe(batchesBefore);
  });

  it('answers 413 with the limit for a file over the size limit', async () => {
    const big = Buffer.concat([await photo(64, 64), Buffer.alloc(p.settings.MAX_FILE_BYTES)]);
    const res = await upload(alice, form([{ name: 'huge.jpg', data: big }]));
    expect(res.status).toBe(413);
    expect(errorOf(res)).toMatchObject({
      code: 'payload_too_large',
      details: { limit_bytes: p.settings.MAX_FILE_BYTES },
    });
  });
});

describe('max_bytes', () => {
  it('keeps every format under its byte limit', async () => {
    const limits = { jpeg: 20_000, webp: 15_000, avif: 12_000, png: 60_000 };
    const variants = Object.entries(limits).map(([format, max]) => ({
      name: format,
      width: 400,
      format,
      max_bytes: max,
    }));
    const res = await upload(
      alice,
      form([{ name: 'noisy.png', data: await photo(800, 600, 'png') }], { recipe: JSON.stringify({ variants }) }),
    );
    expect(res.status).toBe(201);
    expect(await p.waitForBatch(alice, dataOf(res).batch_id)).toMatchObject({
      status: 'completed',
      successful_count: 1,
    });
    const [img] = await images(alice, dataOf(res).batch_id);
    for (const o of img!.outputs) {
      const bytes = await download(o.download_url);
      expect(bytes.length).toBe(o.bytes);
      expect(bytes.length).toBeLessThanOrEqual(limits[o.variant as keyof typeof limits]);
    }
  });
});

describe('idempotency', () => {
  it('gives the same batch for the same Idempotency-Key, never two', async () => {
    const data = await photo(200, 200);
    const first = await upload(alice, form([{ name: 'x.jpg', data }]), { 'Idempotency-Key': 'order-42' });
    const again = await upload(alice, form([{ name: 'x.jpg', data }]), { 'Idempotency-Key': 'order-42' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(dataOf(again).batch_id).toBe(dataOf(first).batch_id);
    expect(await p.app.clients.prisma.batch.count({ where: { idempotencyKey: 'order-42' } })).toBe(1);
  });
});

describe('POST /resize', () => {
  it('answers with a working download URL of the resized image', async () => {
    const fd = new FormData();
    fd.append('image', new Blob([new Uint8Array(await photo(1000, 500))]), 'wide.jpg');
    fd.append('width', '300');
    fd.append('format', 'webp');
    const res = await p.api('/api/v1/resize', { method: 'POST', auth: alice, body: fd });
    expect(res.status).toBe(200);
    const body = (await readData(res)) as { job_id: string; download_url: string };
    const meta = await sharp(await download(body.download_url)).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 300, height: 150 });
    expect((await p.api(`/api/v1/batches/${body.job_id}/progress`, { auth: bob })).status).toBe(404);
  });
});
