// The all-in-one process on its in-process queue (no AMQP_URL), stopped with a batch half done: the jobs it held in
// memory are gone, and the next start on the same database must finish the batch anyway.
import { createPrisma } from '@pixmill/db';
import { startAllInOne } from '../src/all-in-one';
import { photo } from './support/images';
import { startPipeline, type Pipeline } from './support/pipeline';
import { readData } from '@pixmill/gateway/testing';

const IMAGES = 12;

describe('restarting the all-in-one process with the in-process queue', () => {
  let first: Pipeline;
  let second: Awaited<ReturnType<typeof startAllInOne>> | undefined;

  beforeAll(async () => {
    // One image at a time, so most of the batch is still queued (in memory) when the process stops.
    first = await startPipeline({ AMQP_URL: '', RESIZE_CONCURRENCY: '1', RESIZE_PREFETCH: '1' });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
  });

  it('finishes a batch whose queued jobs the stopped process took with it', async () => {
    const auth = await first.userAuth('restarter');
    const fd = new FormData();
    for (let i = 0; i < IMAGES; i++) {
      const data = await photo(800, 600);
      fd.append('files[]', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), `p${i}.jpg`);
    }
    fd.append('recipe', JSON.stringify({ variants: [{ name: 'w', width: 640, format: 'avif', quality: 60 }] }));
    const res = await first.api('/api/v1/batches', { method: 'POST', auth, body: fd });
    expect(res.status).toBe(201);
    const { batch_id: batchId } = (await readData(res)) as { batch_id: string };

    await first.app.stop();
    const db = createPrisma(first.settings.DATABASE_URL!, { max: 1 });
    const left = await db.$queryRaw<{ open: number }[]>`
      SELECT count(*)::int AS open FROM images WHERE batch_id = ${batchId}::uuid AND status NOT IN ('succeeded', 'failed')`;
    await db.$disconnect();
    // The stop came mid-batch: there is work that only a restart can finish.
    expect(left[0]!.open).toBeGreaterThan(0);

    second = await startAllInOne(first.settings, { quiet: true });
    const url = `http://127.0.0.1:${second.port}`;
    const deadline = Date.now() + 60_000;
    let body: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      body = (await readData(await fetch(`${url}/api/v1/batches/${batchId}`, { headers: auth }))) as Record<
        string,
        unknown
      >;
      if (body.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toMatchObject({ status: 'completed', total_images: IMAGES, successful_count: IMAGES });
  });
});
