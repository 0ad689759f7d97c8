// Issue 21's scenarios on one cluster of replicas (support/scale-cluster.ts), in order; each ends with the fault
// suite's checks (every batch ends, counters equal images, storage holds exactly the recorded outputs, one webhook
// per batch) and writes its figures to bench/results/scale.json.
import path from 'node:path';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from '../faults/support/fault-batches';
import { ROOT } from '../faults/support/service-process';
import { expectNothingLost, finishScenario, until } from '../faults/support/scenario';
import { firstImageEndedAfter } from '../faults/support/verify';
import { startScaleCluster, type ScaleCluster } from './support/scale-cluster';

const results = { file: path.join(ROOT, 'bench/results/scale.json'), command: 'pnpm test:scale' };

let cluster: ScaleCluster;
beforeAll(async () => {
  cluster = await startScaleCluster();
}, 420_000);
afterAll(() => cluster?.close(), 120_000);

/** Images per second over a set of batches: those ended, over the span from the first to the last ending. */
async function throughput(batches: SubmittedBatch[]): Promise<number> {
  const rows = await cluster.prisma.image.findMany({
    where: { batchId: { in: batches.map((b) => b.batchId) }, processedAt: { not: null } },
    select: { processedAt: true },
  });
  const t = rows.map((r) => r.processedAt!.getTime()).sort((a, b) => a - b);
  const span = (t.at(-1)! - t[0]!) / 1000;
  return span > 0 ? Math.round((rows.length / span) * 10) / 10 : 0;
}

/** Reads the SSE stream of a batch to its `end` event: the progress counts seen. */
async function readEvents(url: string, auth: Record<string, string>) {
  const res = await fetch(url, { headers: auth });
  if (res.status !== 200 || !res.body) throw new Error(`events: ${res.status}`);
  const decoder = new TextDecoder();
  let text = '';
  const processed: number[] = [];
  let end: Record<string, unknown> | undefined;
  for await (const chunk of res.body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    let at: number;
    while ((at = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, at);
      text = text.slice(at + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (!event || !data) continue;
      const d = JSON.parse(data) as Record<string, unknown>;
      if (event === 'progress') processed.push(Number(d.processed_images));
      if (event === 'end') end = d;
    }
    if (end) break;
  }
  return { processed, end };
}

it('1. steady state: two of each service share the work; SSE on gateway 1 follows a batch sent to gateway 2', async () => {
  const startedAt = Date.now();
  // One resize worker first, then two, on batches of the same shape.
  await cluster.procs.get('resize-2')!.stop();
  const one = [
    await submitUploadBatch(cluster, { name: 'scale1-one-upload', count: 120, bad: 2 }),
    await submitUrlBatch(cluster.via('gw2'), { name: 'scale1-one-urls', count: 60, bad: 2 }),
  ];
  await until(
    'the one-worker batches to end',
    async () =>
      (await cluster.prisma.batch.count({ where: { id: { in: one.map((b) => b.batchId) }, status: 'completed' } })) ===
      one.length,
    240_000,
    250,
  );
  const oneWorker = await throughput(one);
  await cluster.start('resize-2');

  const gw2Upload = await submitUploadBatch(cluster.via('gw2'), { name: 'scale1-two-upload', count: 120, bad: 2 });
  const events = readEvents(`${cluster.gatewayUrl('gw1')}/api/v1/batches/${gw2Upload.batchId}/events`, cluster.auth());
  const two = [gw2Upload, await submitUrlBatch(cluster, { name: 'scale1-two-urls', count: 60, bad: 2 })];
  const sse = await events;
  const all = [...one, ...two];
  const result = await finishScenario(cluster, {
    n: 1,
    title: 'steady state, 2 gateways, 2 of each worker',
    fault: 'none; 1 then 2 resize workers',
    batches: all,
    startedAt,
    recovery: () => null,
    recoveryMeasure: 'no fault',
    results,
    notes: async () => {
      const twoWorkers = await throughput(two);
      return {
        images_per_second_1_resize_worker: oneWorker,
        images_per_second_2_resize_workers: twoWorkers,
        ratio_2_vs_1: oneWorker > 0 ? Math.round((twoWorkers / oneWorker) * 100) / 100 : null,
        sse_progress_events_on_gw1: sse.processed.length,
      };
    },
  });
  expectNothingLost(result);
  // The stream on gateway 1 saw the work that workers did for gateway 2's batch, to its end.
  expect(sse.end).toMatchObject({ batch_id: gw2Upload.batchId, status: 'completed', processed_images: 120 });
  expect(sse.processed).toEqual([...sse.processed].sort((a, b) => a - b));
  expect(sse.processed.length).toBeGreaterThan(1);
});

it('2. a RabbitMQ node killed -9 mid-batch, then the node leading the queues: nothing lost or doubled', async () => {
  const startedAt = Date.now();
  const processedOf = async (b: SubmittedBatch[]) =>
    (
      await cluster.prisma.batch.aggregate({
        where: { id: { in: b.map((x) => x.batchId) } },
        _sum: { processedImages: true },
      })
    )._sum.processedImages ?? 0;

  const first = [
    await submitUploadBatch(cluster, { name: 'scale2-a-upload', count: 150, bad: 2 }),
    await submitUrlBatch(cluster.via('gw2'), { name: 'scale2-a-urls', count: 80, bad: 2 }),
  ];
  await until('a fifth of the images to end', async () => (await processedOf(first)) >= 46, 120_000, 100);
  const follower = cluster.brokers.broker3;
  const killedAt = Date.now();
  await follower.kill();
  const downFor = 5_000;
  await new Promise((r) => setTimeout(r, downFor));
  await follower.start();

  const queue = 'pixmill.resize.image';
  const leaderOf = async () => {
    const out = await cluster.brokers.broker1.ctl('list_queues', 'name', 'leader', '--no-table-headers');
    const line = out.split('\n').find((l) => l.startsWith(`${queue}\t`) || l.startsWith(`${queue} `));
    return line?.split(/\s+/)[1];
  };
  const leaderNode = await leaderOf();
  const leader = Object.values(cluster.brokers).find((b) => b.node === leaderNode);
  if (!leader) throw new Error(`no broker leads ${queue} (${String(leaderNode)})`);
  const second = [await submitUploadBatch(cluster.via('gw2'), { name: 'scale2-b-upload', count: 150, bad: 2 })];
  await until('a fifth of the second batch to end', async () => (await processedOf(second)) >= 30, 120_000, 100);
  const leaderKilledAt = Date.now();
  await leader.kill();
  await new Promise((r) => setTimeout(r, downFor));
  await leader.start();

  const all = [...first, ...second];
  const result = await finishScenario(cluster, {
    n: 2,
    title: 'RabbitMQ node kill -9, then the queue leader',
    fault: `broker3 killed -9 for ${downFor / 1000} s mid-batch, then ${leader.name} (leader of ${queue}) likewise`,
    batches: all,
    startedAt,
    recovery: () => firstImageEndedAfter(cluster, [second[0]!.batchId], leaderKilledAt),
    recoveryMeasure: 'leader kill to the next image done',
    results,
    notes: async () => ({
      first_kill_to_next_image_seconds: await firstImageEndedAfter(
        cluster,
        first.map((b) => b.batchId),
        killedAt,
      ),
      new_leader: await leaderOf(),
    }),
  });
  expectNothingLost(result);
});
