// Retention end to end on both configurations a user runs: real photos through the pipeline, then a housekeeping
// pass over the same database and storage with the clock moved past OUTPUTS_RETENTION_DAYS (the clock is the pass's
// argument: nothing sleeps), then the running pixmill asked for the outputs: 410 with the reason, and no more links.
import { runHousekeeping } from '@pixmill/gateway';
import { createLogger } from '@pixmill/observability';
import { CONFIGURATIONS, startTarget, type Target } from './support/target';
import { dataIn } from '@pixmill/gateway/testing';
import { photo } from './support/images';

type Auth = { Authorization: string };
type ImageItem = {
  original_url: string | null;
  outputs: { variant: string; download_url: string | null; expired_at: string | null }[];
};
type KindView = { keep_days: number | null; expires_at: string | null; expired_at: string | null };

const DAY = 86_400_000;

describe.each(CONFIGURATIONS)('retention on the %s configuration', (config) => {
  let p: Target;
  let alice: Auth;

  beforeAll(async () => {
    p = await startTarget(config, { OUTPUTS_RETENTION_DAYS: '30', HOUSEKEEPING_INTERVAL_MINUTES: '0' });
    alice = await p.userAuth('alice');
  }, 240_000);
  afterAll(() => p?.close());

  const json = async <T>(path: string) => {
    const res = await p.api(path, { auth: alice });
    expect(res.status).toBe(200);
    return dataIn<T>(await res.json());
  };

  it('expires the outputs once the clock passes their days, and their links answer 410 with the reason', async () => {
    const fd = new FormData();
    for (const [i, size] of [
      [640, 480],
      [480, 640],
    ].entries())
      fd.append(
        'files[]',
        new Blob([new Uint8Array(await photo(size[0]!, size[1]!))], { type: 'image/jpeg' }),
        `p${i}.jpg`,
      );
    fd.append('recipe', JSON.stringify({ variants: [{ name: 'web', width: 200, format: 'webp' }] }));
    const created = await p.api('/api/v1/batches', { method: 'POST', auth: alice, body: fd });
    expect(created.status).toBe(201);
    const id = dataIn<{ batch_id: string }>(await created.json()).batch_id;
    expect(await p.waitForBatch(alice, id)).toMatchObject({ status: 'completed' });

    const batch = await json<{ retention: { outputs: KindView; originals: KindView } }>(`/api/v1/batches/${id}`);
    const { completedAt } = await p.db.batch.findUniqueOrThrow({ where: { id } });
    expect(batch.retention.outputs).toEqual({
      keep_days: 30,
      expires_at: new Date(completedAt!.getTime() + 30 * DAY).toISOString(),
      expired_at: null,
    });
    expect(batch.retention.originals).toMatchObject({ keep_days: null, expires_at: null });
    const link = (await json<{ items: ImageItem[] }>(`/api/v1/batches/${id}/images`)).items[0]!.outputs[0]!
      .download_url!;
    expect((await fetch(link)).status).toBe(200);
    // Local disk keeps a metadata file beside each object: the count is of files, whatever it is per object.
    const stored = p.countObjects(`outputs/${id}/`);
    expect(stored).toBeGreaterThanOrEqual(2);

    const housekeeping = { prisma: p.db, store: p.store, settings: p.settings, log: createLogger('test', 'silent') };
    await runHousekeeping(housekeeping, new Date(completedAt!.getTime() + 29 * DAY));
    expect(p.countObjects(`outputs/${id}/`)).toBe(stored);
    const later = new Date(completedAt!.getTime() + 31 * DAY);
    expect(await runHousekeeping(housekeeping, later)).toMatchObject({ outputs_expired_batches: 1 });
    expect(p.countObjects(`outputs/${id}/`)).toBe(0);
    expect(p.countObjects(`originals/${id}/`)).toBeGreaterThanOrEqual(2);

    expect(
      (await json<{ retention: { outputs: KindView } }>(`/api/v1/batches/${id}`)).retention.outputs.expired_at,
    ).toBe(later.toISOString());
    const zip = await p.api(`/api/v1/batches/${id}/outputs.zip`, { auth: alice });
    expect(zip.status).toBe(410);
    const reason = (await zip.json()) as { success: boolean; code: string; error: string; details: unknown };
    expect(reason).toMatchObject({
      success: false,
      code: 'expired',
      details: { batch_id: id, kind: 'outputs', expired_at: later.toISOString(), keep_days: 30 },
    });
    expect(reason.error).toContain('kept 30 days after the batch ends');
    const images = (await json<{ items: ImageItem[] }>(`/api/v1/batches/${id}/images`)).items;
    expect(images.flatMap((i) => i.outputs.map((o) => [o.download_url, o.expired_at]))).toEqual([
      [null, later.toISOString()],
      [null, later.toISOString()],
    ]);
    expect(images.every((i) => i.original_url !== null)).toBe(true);

    const old = await fetch(link);
    if (config === 'embedded') {
      // The gateway serves the link: it says why.
      expect(old.status).toBe(410);
      expect(await old.json()).toMatchObject({ code: 'expired', details: { kind: 'outputs' } });
    } else {
      // A presigned S3 link handed out earlier is answered by S3 itself: the object is gone.
      expect(old.status).toBe(404);
    }
  }, 120_000);
});
