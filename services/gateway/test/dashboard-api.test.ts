// The API routes the dashboard reads that no other test covers: throughput, name search, allowed actions, originals.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PermanentError } from '@pixmill/queue';
import { seedBatch, bearer } from './batch-fixtures';
import { dataOf, startGateway, type TestGateway, type TestUser } from './support';

describe('API routes behind the dashboard', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    gw = await startGateway();
    [alice, bob, admin] = await Promise.all([gw.createUser('user'), gw.createUser('user'), gw.createUser('admin')]);
  });
  afterAll(() => gw?.close());

  it('counts images finished a minute over the last hour, the caller’s own (an admin’s: everyone’s)', async () => {
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const now = minutesAgo(0);
    const fiveAgo = minutesAgo(5);
    await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [
        { status: 'succeeded', processedAt: now },
        { status: 'succeeded', processedAt: now },
        { status: 'failed', processedAt: fiveAgo },
        { status: 'succeeded', processedAt: minutesAgo(90) }, // outside the hour
      ],
    });
    await seedBatch(gw, bob.id, { status: 'completed', images: [{ status: 'failed', processedAt: minutesAgo(1) }] });

    const own = dataOf(await request(gw.app).get('/api/v1/system/throughput').set(bearer(alice.token)).expect(200)) as {
      minutes: number;
      buckets: { start: string; succeeded: number; failed: number }[];
      totals: object;
    };
    expect(own.minutes).toBe(60);
    expect(own.buckets).toHaveLength(60);
    const bucketOf = (t: Date) => own.buckets.find((b) => t.getTime() - Date.parse(b.start) < 60_000);
    expect(bucketOf(now)).toMatchObject({ succeeded: 2, failed: 0 });
    expect(bucketOf(fiveAgo)).toMatchObject({ succeeded: 0, failed: 1 });
    expect(own.totals).toEqual({ succeeded: 2, failed: 1, failure_rate: 33.33 });
    const starts = own.buckets.map((b) => Date.parse(b.start));
    expect(starts.every((t, i) => i === 0 || t - starts[i - 1]! === 60_000)).toBe(true);

    const all = dataOf(await request(gw.app).get('/api/v1/system/throughput').set(bearer(admin.token)).expect(200));
    expect(all.totals).toEqual({ succeeded: 2, failed: 2, failure_rate: 50 });
    const short = dataOf(
      await request(gw.app).get('/api/v1/system/throughput?minutes=10').set(bearer(alice.token)).expect(200),
    );
    expect(short.buckets).toHaveLength(10);
    await request(gw.app).get('/api/v1/system/throughput?minutes=0').set(bearer(alice.token)).expect(400);
  });

  it('finds batches by a part of their name, in any case', async () => {
    await seedBatch(gw, alice.id, { name: 'Summer Catalogue 2026' });
    await seedBatch(gw, alice.id, { name: 'winter' });
    await seedBatch(gw, bob.id, { name: 'Bob summer' });
    const res = dataOf(await request(gw.app).get('/api/v1/batches?q=SUMMER').set(bearer(alice.token)).expect(200));
    expect(res.items.map((b: { batch_name: string }) => b.batch_name)).toEqual(['Summer Catalogue 2026']);
  });

  it('searches names literally: % and _ are characters, not wildcards', async () => {
    const carol = await gw.createUser('user');
    for (const name of ['100% cotton', '1000 shirts', 'a_b', 'axb', 'back\\slash'])
      await seedBatch(gw, carol.id, { name });
    const names = async (q: string) =>
      (
        dataOf(
          await request(gw.app)
            .get(`/api/v1/batches?q=${encodeURIComponent(q)}`)
            .set(bearer(carol.token))
            .expect(200),
        ).items as { batch_name: string }[]
      ).map((b) => b.batch_name);
    expect(await names('100%')).toEqual(['100% cotton']);
    expect(await names('a_b')).toEqual(['a_b']);
    expect(await names('%')).toEqual(['100% cotton']);
    expect(await names('k\\s')).toEqual(['back\\slash']);
  });

  it('says which control actions the batch’s state allows', async () => {
    const actions = async (id: string) =>
      dataOf(await request(gw.app).get(`/api/v1/batches/${id}`).set(bearer(alice.token)).expect(200)).allowed_actions;
    const processing = await seedBatch(gw, alice.id, { status: 'processing' });
    expect(await actions(processing.id)).toEqual(['pause', 'cancel', 'reset']);
    const paused = await seedBatch(gw, alice.id, { status: 'paused' });
    expect(await actions(paused.id)).toEqual(['force-start', 'resume', 'cancel', 'soft-delete', 'delete', 'reset']);
    const done = await seedBatch(gw, alice.id, { status: 'completed' });
    expect(await actions(done.id)).toEqual(['retry-failed', 'soft-delete', 'delete']);
    await request(gw.app).post(`/api/v1/batches/${done.id}/soft-delete`).set(bearer(alice.token)).send({}).expect(200);
    expect(await actions(done.id)).toEqual(['retry-failed', 'restore', 'delete']);
  });

  it('lists each image with a signed link to its original', async () => {
    const b = await seedBatch(gw, alice.id, {
      status: 'completed',
      images: [{ status: 'succeeded' }, { original: false }],
    });
    const res = dataOf(
      await request(gw.app).get(`/api/v1/batches/${b.id}/images`).set(bearer(alice.token)).expect(200),
    );
    const [withOriginal, without] = res.items as { original_url: string | null }[];
    expect(without!.original_url).toBeNull();
    const file = await fetch(withOriginal!.original_url!);
    expect([file.status, await file.text()]).toEqual([200, 'original 0']);
  });

  it('lets an admin inspect, requeue and purge the dead letters of a queue', async () => {
    const { transport } = gw.deps;
    let broken = true;
    const ran: string[] = [];
    const consumer = await transport.consume('resize.image', async (job) => {
      if (broken) throw new PermanentError('resize worker cannot read the original');
      ran.push(job.imageId);
    });
    try {
      const jobs = [0, 1].map(() => ({ v: 1 as const, batchId: randomUUID(), imageId: randomUUID() }));
      for (const j of jobs) await transport.publish('resize.image', j);
      const admin_ = bearer(admin.token);
      const list = async () =>
        dataOf(await request(gw.app).get('/api/v1/admin/dead-letters?queue=resize.image').set(admin_).expect(200));
      for (let i = 0; i < 50 && (await list()).total < 2; i++) await new Promise((r) => setTimeout(r, 20));

      const dead = await list();
      expect(dead.total).toBe(2);
      expect(dead.items.map((d: { payload: unknown }) => d.payload)).toEqual(jobs);
      expect(dead.items[0]).toMatchObject({
        attempt: 1,
        reason: 'permanent-error',
        error: expect.stringMatching(/original/),
      });
      await request(gw.app).get('/api/v1/admin/dead-letters?queue=nope').set(admin_).expect(400);
      await request(gw.app).get('/api/v1/admin/dead-letters?queue=resize.image').set(bearer(alice.token)).expect(403);

      broken = false;
      const requeued = await request(gw.app)
        .post('/api/v1/admin/dead-letters/requeue')
        .set(admin_)
        .send({ queue: 'resize.image' })
        .expect(200);
      expect(dataOf(requeued)).toEqual({ queue: 'resize.image', requeued: 2 });
      for (let i = 0; i < 50 && ran.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(ran.sort()).toEqual(jobs.map((j) => j.imageId).sort());
      expect((await list()).total).toBe(0);

      broken = true;
      await transport.publish('resize.image', jobs[0]!);
      for (let i = 0; i < 50 && (await list()).total < 1; i++) await new Promise((r) => setTimeout(r, 20));
      const purged = await request(gw.app)
        .post('/api/v1/admin/dead-letters/purge')
        .set(admin_)
        .send({ queue: 'resize.image' })
        .expect(200);
      expect(dataOf(purged)).toEqual({ queue: 'resize.image', purged: 1 });
      expect((await list()).total).toBe(0);
    } finally {
      await consumer.cancel();
    }
  });
});
