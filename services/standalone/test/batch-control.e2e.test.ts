// Batch control end to end, on the real pipeline (PostgreSQL, RabbitMQ, s3rver, sharp): pause really stops the
// workers taking images and resume finishes them; cancel leaves nothing running; retry-failed runs only failures;
// exports of a real batch parse back.
import { photo } from './support/images';
import { startPipeline, type Pipeline } from './support/pipeline';
import { dataOf, readData } from '@pixmill/gateway/testing';

type Auth = { Authorization: string };
type ImageItem = { id: string; status: string; processed_at: string | null; error: { code: string } | null };

let p: Pipeline;
let alice: Auth;
let admin: Auth;

// AVIF keeps each image busy for a while, and one image at a time, so a pause lands while most are still pending.
const slowRecipe = {
  variants: [
    { name: 'avif', width: 1200, fit: 'inside', format: 'avif', quality: 60 },
    { name: 'thumb', width: 120, fit: 'inside', format: 'jpeg' },
  ],
};

beforeAll(async () => {
  // One image in the worker at a time (the resize worker takes RESIZE_PREFETCH jobs, claiming each as it arrives),
  // so pause and cancel find images not yet taken.
  p = await startPipeline({ RESIZE_CONCURRENCY: '1', QUEUE_PREFETCH: '1', RESIZE_PREFETCH: '1' });
  alice = await p.userAuth('alice');
  admin = await p.userAuth('admin');
});
afterAll(async () => {
  await p?.close();
});

async function upload(n: number, fields: Record<string, string>): Promise<string> {
  const fd = new FormData();
  for (let i = 0; i < n; i++) {
    const data = await photo(1400 + i, 1000, 'jpeg');
    fd.append('files[]', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), `p${i}.jpg`);
  }
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  const res = await p.api('/api/v1/batches', { method: 'POST', auth: alice, body: fd });
  expect(res.status).toBe(201);
  return ((await readData(res)) as { batch_id: string }).batch_id;
}

async function call(method: string, path: string, body?: object, auth = alice) {
  const res = await p.api(path, {
    method,
    auth,
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

async function images(batchId: string): Promise<ImageItem[]> {
  return (dataOf(await call('GET', `/api/v1/batches/${batchId}/images?per_page=100`)) as { items: ImageItem[] }).items;
}

const countBy = (items: ImageItem[]) =>
  items.reduce<Record<string, number>>((m, i) => ({ ...m, [i.status]: (m[i.status] ?? 0) + 1 }), {});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** No resize message left anywhere: outbox published, queue empty, nothing being handled. */
async function resizeQueueIdle(): Promise<void> {
  await waitFor('an idle resize queue', async () => {
    const s = dataOf(await call('GET', '/api/v1/admin/queue/status', undefined, admin)) as {
      queues: Record<string, { ready: number; unacked: number }>;
      outbox: { unpublished: number };
    };
    const q = s.queues['resize.image']!;
    return s.outbox.unpublished === 0 && q.ready === 0 && q.unacked === 0 ? true : undefined;
  });
}

describe('pause and resume', () => {
  it('paused: images stay pending and nothing more is processed; resumed: every image finishes', async () => {
    const id = await upload(8, { recipe: JSON.stringify(slowRecipe), auto_start: 'false' });
    expect((await call('POST', `/api/v1/batches/${id}/start`)).status).toBe(200);
    const paused = await call('POST', `/api/v1/batches/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(dataOf(paused).status).toBe('paused');

    // In-flight images finish; every queued message for the batch is taken and dropped.
    await waitFor('in-flight images to finish', async () =>
      (await images(id)).some((i) => i.status === 'processing') ? undefined : true,
    );
    await resizeQueueIdle();
    const during = countBy(await images(id));
    expect(during.pending).toBeGreaterThan(0);
    expect(during.processing).toBeUndefined();
    const detail = dataOf(await call('GET', `/api/v1/batches/${id}`));
    expect(detail.status).toBe('paused');
    expect(detail.processed_images).toBe(8 - during.pending!);

    // Nothing moves while paused, however long the workers run.
    await resizeQueueIdle();
    expect(countBy(await images(id))).toEqual(during);

    const resumed = await call('POST', `/api/v1/batches/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect((dataOf(resumed).enqueued as { images: number }).images).toBe(during.pending);
    const done = await p.waitForBatch(alice, id, 120_000);
    expect(done).toMatchObject({ status: 'completed', processed_images: 8, successful_count: 8 });
    expect(countBy(await images(id))).toEqual({ succeeded: 8 });
  });
});

describe('cancel', () => {
  it('cancels the images not yet taken; nothing is left processing and counters add up', async () => {
    const id = await upload(6, { recipe: JSON.stringify(slowRecipe) });
    const res = await call('POST', `/api/v1/batches/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(dataOf(res).status).toBe('cancelled');

    await waitFor('in-flight images to finish', async () =>
      (await images(id)).some((i) => i.status === 'processing') ? undefined : true,
    );
    await resizeQueueIdle();
    const counts = countBy(await images(id));
    expect(counts.pending).toBeUndefined();
    expect(counts.processing).toBeUndefined();
    expect(counts.cancelled).toBeGreaterThan(0);
    const b = dataOf(await call('GET', `/api/v1/batches/${id}`)) as Record<string, number | string>;
    expect(b.status).toBe('cancelled');
    expect(b.processed_images).toBe((counts.succeeded ?? 0) + (counts.failed ?? 0));
    expect(b.total_images).toBe(6);
    // Still cancelled, no way back.
    expect((await call('POST', `/api/v1/batches/${id}/resume`)).status).toBe(409);
  });
});

describe('retry-failed', () => {
  it('runs only the failed images again', async () => {
    const id = await upload(3, { auto_start: 'false' });
    const before = await images(id);
    const store = p.app.clients.store;
    const prisma = p.app.clients.prisma;
    // Take one original away: that image fails (missing_original); the others succeed.
    const victim = await prisma.image.findUniqueOrThrow({ where: { id: before[1]!.id } });
    const chunks: Buffer[] = [];
    for await (const c of (await store.get(victim.originalKey!)) as AsyncIterable<Buffer>) chunks.push(c);
    await store.delete(victim.originalKey!);
    expect((await call('POST', `/api/v1/batches/${id}/start`)).status).toBe(422);
    expect((await call('POST', `/api/v1/batches/${id}/force-start`, { skip_validation: true })).status).toBe(200);
    const first = await p.waitForBatch(alice, id);
    expect(first).toMatchObject({ status: 'completed', successful_count: 2, failed_count: 1 });
    const ran = await images(id);
    expect(ran.find((i) => i.id === victim.id)!.error!.code).toBe('missing_original');

    // Put it back and retry: only that image runs again.
    await store.put(victim.originalKey!, Buffer.concat(chunks), { contentType: 'image/jpeg' });
    const retry = await call('POST', `/api/v1/batches/${id}/retry-failed`);
    expect(retry.status).toBe(200);
    expect(dataOf(retry)).toMatchObject({ retried_images: 1, processed_images: 2 });
    const second = await p.waitForBatch(alice, id);
    expect(second).toMatchObject({ status: 'completed', successful_count: 3, failed_count: 0, processed_images: 3 });
    const after = await images(id);
    for (const img of ran.filter((i) => i.id !== victim.id)) {
      expect(after.find((i) => i.id === img.id)!.processed_at).toBe(img.processed_at);
    }
    expect(after.find((i) => i.id === victim.id)!.status).toBe('succeeded');

    // The finished batch exports: one row per image and variant, with working output links.
    const csv = await p.api(`/api/v1/export/batch/${id}?format=json`, { auth: alice });
    const doc = (await csv.json()) as { rows: { output_url: string; status: string }[] };
    expect(doc.rows).toHaveLength(3);
    expect((await fetch(doc.rows[0]!.output_url)).status).toBe(200);

    // And a DELETE takes its objects with it.
    expect((await call('DELETE', `/api/v1/batches/${id}`)).status).toBe(200);
    expect(await store.head(victim.originalKey!)).toBeNull();
  });
});
