// The gateway's own cleanup on a timer: old published outbox rows and soft-deleted batches past their retention go,
// without an operator asking; what is recent, unpublished or still within retention stays.
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import request from 'supertest';
import { enqueue } from '@pixmill/queue';
import { runHousekeeping, startHousekeeping } from '../src/admin/housekeeping';
import { existing, seedBatch } from './batch-fixtures';
import { startGateway, type TestGateway } from './support';

const DAY = 86_400_000;

describe('housekeeping', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ settings: { OUTBOX_RETENTION_DAYS: 7 } });
  });
  afterAll(() => gw?.close());

  const outboxRow = async (messageId: string, publishedDaysAgo: number | null) => {
    await enqueue(
      gw.deps.prisma,
      'resize.image',
      { v: 1, batchId: randomUUID(), imageId: randomUUID() },
      { messageId },
    );
    if (publishedDaysAgo !== null)
      await gw.deps.prisma.outboxMessage.update({
        where: { messageId },
        data: { publishedAt: new Date(Date.now() - publishedDaysAgo * DAY) },
      });
  };
  const softDeleted = async (purgeInDays: number) => {
    const user = await gw.createUser();
    const b = await seedBatch(gw, user.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    await gw.deps.prisma.batch.update({
      where: { id: b.id },
      data: { deletedAt: new Date(Date.now() - DAY), purgeAfter: new Date(Date.now() + purgeInDays * DAY) },
    });
    return b;
  };

  it('deletes outbox rows published before the retention and purges expired soft-deleted batches with their objects', async () => {
    await outboxRow('old-published', 10);
    await outboxRow('recent-published', 1);
    await outboxRow('unpublished', null);
    const expired = await softDeleted(-1);
    const waiting = await softDeleted(3);

    const result = await runHousekeeping(gw.deps);
    expect(result).toMatchObject({ published_jobs_deleted: 1, deleted_batches_purged: 1 });

    const left = await gw.deps.prisma.outboxMessage.findMany({ select: { messageId: true } });
    expect(left.map((r) => r.messageId).sort()).toEqual(['recent-published', 'unpublished']);
    expect(await gw.deps.prisma.batch.count({ where: { id: expired.id } })).toBe(0);
    expect(await existing(gw, [...expired.originalKeys, ...expired.outputKeys])).toEqual([]);
    expect(await gw.deps.prisma.batch.count({ where: { id: waiting.id } })).toBe(1);
    expect(await existing(gw, waiting.originalKeys)).toHaveLength(waiting.originalKeys.length);
  });

  it('removes what abandoned uploads stored once they are a day old, and nothing of live batches or recent uploads', async () => {
    const store = gw.deps.store;
    const put = (key: string) => store.put(key, Buffer.from('x'), { contentType: 'image/jpeg' });
    const intent = (batchId: string, hoursAgo: number) =>
      gw.deps.prisma.uploadIntent.create({ data: { batchId, startedAt: new Date(Date.now() - hoursAgo * 3_600_000) } });

    const abandoned = randomUUID();
    await put(`originals/${abandoned}/a.jpg`);
    await put(`originals/${abandoned}/b.jpg`);
    await put(`uploads/${abandoned}/urls.csv`);
    await intent(abandoned, 25);
    // The gateway died after creating this batch but before dropping its intent: the files are the batch's.
    const user = await gw.createUser();
    const created = await seedBatch(gw, user.id, { status: 'completed', images: [{ status: 'succeeded' }] });
    await intent(created.id, 25);
    const inProgress = randomUUID();
    await put(`originals/${inProgress}/c.jpg`);
    await intent(inProgress, 1);

    const result = await runHousekeeping(gw.deps);
    expect(result).toMatchObject({ abandoned_uploads_removed: 2, abandoned_upload_objects_deleted: 3 });
    expect(
      await existing(gw, [
        `originals/${abandoned}/a.jpg`,
        `originals/${abandoned}/b.jpg`,
        `uploads/${abandoned}/urls.csv`,
      ]),
    ).toEqual([]);
    expect(await existing(gw, created.originalKeys)).toHaveLength(created.originalKeys.length);
    expect(await existing(gw, [`originals/${inProgress}/c.jpg`])).toHaveLength(1);
    const left = await gw.deps.prisma.uploadIntent.findMany({ select: { batchId: true } });
    expect(left.map((i) => i.batchId)).toEqual([inProgress]);
    await gw.deps.prisma.uploadIntent.deleteMany();
  });

  it('leaves no intent behind after an upload, accepted or refused', async () => {
    const user = await gw.createUser();
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer();
    await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${user.token}`)
      .attach('files', image, 'a.jpg')
      .expect(201);
    await request(gw.app)
      .post('/api/v1/batches')
      .set('Authorization', `Bearer ${user.token}`)
      .attach('files', Buffer.from('not an image at all'), 'b.jpg')
      .expect(400);
    expect(await gw.deps.prisma.uploadIntent.count()).toBe(0);
  });

  it('deletes browser sessions past their end or unused too long, and keeps live ones', async () => {
    const user = await gw.createUser();
    const { settings } = gw.deps;
    const session = (o: { lastSeenAgoMs: number; expiresInMs: number }) =>
      gw.deps.prisma.session.create({
        data: {
          userId: user.id,
          tokenHash: randomUUID(),
          csrfToken: 'csrf',
          lastSeenAt: new Date(Date.now() - o.lastSeenAgoMs),
          expiresAt: new Date(Date.now() + o.expiresInMs),
        },
      });
    const live = await session({ lastSeenAgoMs: 0, expiresInMs: 60_000 });
    await session({ lastSeenAgoMs: 0, expiresInMs: -1000 });
    await session({ lastSeenAgoMs: settings.SESSION_IDLE_SECONDS * 1000 + 1000, expiresInMs: 60_000 });

    const result = await runHousekeeping(gw.deps);
    expect(result).toMatchObject({ ended_sessions_deleted: 2 });
    const left = await gw.deps.prisma.session.findMany({ where: { userId: user.id }, select: { id: true } });
    expect(left).toEqual([{ id: live.id }]);
  });

  it('runs on its own timer and stops cleanly', async () => {
    await outboxRow('timer-old', 30);
    const hk = startHousekeeping(gw.deps, { intervalMs: 100 });
    try {
      const deadline = Date.now() + 5_000;
      while ((await gw.deps.prisma.outboxMessage.count({ where: { messageId: 'timer-old' } })) > 0) {
        if (Date.now() > deadline) throw new Error('housekeeping never ran');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await hk.stop();
    }
  });

  it('never runs with an interval of 0', async () => {
    const off = await startGateway({ settings: { HOUSEKEEPING_INTERVAL_MINUTES: 0 } });
    try {
      await enqueue(
        off.deps.prisma,
        'resize.image',
        { v: 1, batchId: randomUUID(), imageId: randomUUID() },
        { messageId: 'kept' },
      );
      await off.deps.prisma.outboxMessage.updateMany({ data: { publishedAt: new Date(Date.now() - 30 * DAY) } });
      const hk = startHousekeeping(off.deps);
      await new Promise((r) => setTimeout(r, 300));
      await hk.stop();
      expect(await off.deps.prisma.outboxMessage.count()).toBe(1);
    } finally {
      await off.close();
    }
  });
});
