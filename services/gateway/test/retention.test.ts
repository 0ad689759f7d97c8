// Retention of originals and outputs: housekeeping with a moved clock deletes what is past its days after the batch
// ended, marks the batch, and every way to those objects then answers 410 with the reason; a batch's own retention
// beats the settings; what is not ended, or still within its days, stays. Real PostgreSQL, local disk (signed
// /files/ links, as `pnpm start` serves them) and real HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createLocalStore } from '@pixmill/storage';
import { runHousekeeping } from '../src/admin/housekeeping';
import { bearer, existing, seedBatch, type Seeded } from './batch-fixtures';
import { startGateway, TEST_JWT_SECRET, type TestGateway, type TestUser } from './support';

const DAY = 86_400_000;
const PUBLIC_URL = 'http://files.test';

type KindView = { keep_days: number | null; expires_at: string | null; expired_at: string | null };
type Retention = { originals: KindView; outputs: KindView };
type ImageItem = {
  original_url: string | null;
  original_expired_at: string | null;
  outputs: { download_url: string | null; expired_at: string | null }[];
};

describe('retention', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pixmill-retention-'));
    const store = createLocalStore({ root: dir, publicUrl: PUBLIC_URL, signingSecret: TEST_JWT_SECRET });
    gw = await startGateway({ store, settings: { ORIGINALS_RETENTION_DAYS: 7, OUTPUTS_RETENTION_DAYS: 30 } });
    alice = await gw.createUser();
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string) => request(gw.app).get(p).set(bearer(alice.token));
  const retentionOf = async (id: string) =>
    (await get(`/api/v1/batches/${id}`).expect(200)).body.data.retention as Retention;
  const imagesOf = async (id: string) =>
    (await get(`/api/v1/batches/${id}/images`).expect(200)).body.data.items as ImageItem[];
  /** A signed /files/ link, fetched from the app (its host is PUBLIC_URL's). */
  const follow = (url: string) => request(gw.app).get(url.slice(PUBLIC_URL.length));
  const ended = async (b: Seeded, at: Date) =>
    gw.deps.prisma.batch.update({ where: { id: b.id }, data: { completedAt: at } });

  it('deletes originals, then outputs, each past its days after the batch ended, and links then answer 410', async () => {
    const end = new Date('2026-01-10T12:00:00Z');
    const b = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { status: 'succeeded' }],
    });
    await ended(b, end);
    expect(await retentionOf(b.id)).toEqual({
      originals: { keep_days: 7, expires_at: '2026-01-17T12:00:00.000Z', expired_at: null },
      outputs: { keep_days: 30, expires_at: '2026-02-09T12:00:00.000Z', expired_at: null },
    });
    const before = await imagesOf(b.id);
    const originalLink = before[0]!.original_url!;
    const outputLink = before[0]!.outputs[0]!.download_url!;
    await follow(originalLink).expect(200);

    // A day short of seven: nothing goes.
    await runHousekeeping(gw.deps, new Date(end.getTime() + 6 * DAY));
    expect(await existing(gw, b.originalKeys)).toHaveLength(2);

    const eighth = new Date(end.getTime() + 8 * DAY);
    const first = await runHousekeeping(gw.deps, eighth);
    expect(first).toMatchObject({
      originals_expired_batches: 1,
      outputs_expired_batches: 0,
      expired_objects_deleted: 2,
    });
    expect(await existing(gw, b.originalKeys)).toEqual([]);
    expect(await existing(gw, b.outputKeys)).toHaveLength(2);
    expect((await retentionOf(b.id)).originals.expired_at).toBe(eighth.toISOString());
    const gone = await follow(originalLink).expect(410);
    expect(gone.body).toMatchObject({
      success: false,
      code: 'expired',
      details: { batch_id: b.id, kind: 'originals', expired_at: eighth.toISOString(), keep_days: 7 },
    });
    expect(gone.body.error).toContain('kept 7 days after the batch ends');
    const mid = await imagesOf(b.id);
    expect(mid[0]).toMatchObject({ original_url: null, original_expired_at: eighth.toISOString() });
    expect(mid[0]!.outputs[0]!.download_url).toMatch(/^http:\/\/files\.test\/files\//);
    await follow(outputLink).expect(200);
    // Marked once: a later pass does not expire them again.
    expect(await runHousekeeping(gw.deps, new Date(end.getTime() + 9 * DAY))).toMatchObject({
      originals_expired_batches: 0,
    });

    const day31 = new Date(end.getTime() + 31 * DAY);
    expect(await runHousekeeping(gw.deps, day31)).toMatchObject({
      outputs_expired_batches: 1,
      expired_objects_deleted: 2,
    });
    expect(await existing(gw, b.outputKeys)).toEqual([]);
    expect(await retentionOf(b.id)).toMatchObject({
      originals: { expired_at: eighth.toISOString() },
      outputs: { expired_at: day31.toISOString() },
    });
    const outputGone = await follow(outputLink).expect(410);
    expect(outputGone.body).toMatchObject({ code: 'expired', details: { kind: 'outputs', keep_days: 30 } });
    const zip = await get(`/api/v1/batches/${b.id}/outputs.zip`).expect(410);
    expect(zip.headers['content-type']).toMatch(/^application\/json/);
    expect(zip.body).toMatchObject({ success: false, code: 'expired', details: { kind: 'outputs' } });
    expect((await imagesOf(b.id))[0]!.outputs[0]).toEqual(
      expect.objectContaining({ download_url: null, expired_at: day31.toISOString() }),
    );
  });

  it('follows a batch’s own retention over the settings (null keeps forever), and leaves batches not ended alone', async () => {
    const end = new Date('2026-03-01T00:00:00Z');
    const own = await seedBatch(gw, alice.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    await ended(own, end);
    await gw.deps.prisma.batch.update({
      where: { id: own.id },
      data: { retention: { originals_days: 1, outputs_days: null } },
    });
    const running = await seedBatch(gw, alice.id, { status: 'processing', images: [{ status: 'succeeded' }] });

    await runHousekeeping(gw.deps, new Date(end.getTime() + 2 * DAY));
    expect(await existing(gw, own.originalKeys)).toEqual([]);
    await runHousekeeping(gw.deps, new Date(end.getTime() + 3650 * DAY));
    expect(await existing(gw, own.outputKeys)).toHaveLength(1);
    expect(await existing(gw, [...running.originalKeys, ...running.outputKeys])).toHaveLength(2);
    expect(await retentionOf(own.id)).toMatchObject({
      originals: { keep_days: 1, expired_at: expect.any(String) },
      outputs: { keep_days: null, expires_at: null, expired_at: null },
    });
  });

  it('takes `retention` at batch creation, as JSON or a form field, and refuses a bad one', async () => {
    const created = await request(gw.app)
      .post('/api/v1/batches')
      .set(bearer(alice.token))
      .send({ urls: ['https://images.example/a.jpg'], retention: { outputs_days: 2 }, auto_start: false })
      .expect(202);
    const id = created.body.data.batch_id as string;
    expect(await retentionOf(id)).toMatchObject({
      originals: { keep_days: 7, expires_at: null },
      outputs: { keep_days: 2, expires_at: null },
    });

    const form = await request(gw.app)
      .post('/api/v1/batches')
      .set(bearer(alice.token))
      .field('retention', '{"originals_days":null}')
      .field('auto_start', 'false')
      .attach('file', Buffer.from('url\nhttps://images.example/b.jpg\n'), 'urls.csv')
      .expect(202);
    expect((await retentionOf(form.body.data.batch_id)).originals.keep_days).toBeNull();

    for (const bad of [{ outputs_days: 0 }, { outputs_days: 1.5 }, { originals: 3 }, 'soon']) {
      const res = await request(gw.app)
        .post('/api/v1/batches')
        .set(bearer(alice.token))
        .send({ urls: ['https://images.example/a.jpg'], retention: bad })
        .expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'invalid_retention' });
    }
  });
});
