// Scenario 1 of issue 8: `kill -9` a resize worker mid-batch, several times, while another keeps running; then
// restart it. The broker hands the killed worker's unacknowledged images to the other worker; an image it was
// processing is taken again (its outputs overwrite the same keys) and counted once.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { expectNothingLost, finishScenario, jobsDone, until } from './support/scenario';

const KILLS = 3;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('resize worker killed -9 three times mid-batch: every image ends once, outputs exact, one webhook', async () => {
  stack = await startFaultStack();
  const s = stack;
  // The victim runs the defaults (up to RESIZE_PREFETCH jobs in hand when it dies); the survivor takes one image at
  // a time, so it cannot finish the batches alone while the victim restarts and every kill lands mid-batch.
  await Promise.all([
    s.start('gateway', 'gateway'),
    s.start('ingest', 'ingest'),
    s.start('notifier', 'notifier'),
    s.start('resize', 'resize'),
    s.start('resize-2', 'resize', { RESIZE_PREFETCH: '1', RESIZE_CONCURRENCY: '1' }),
  ]);

  const startedAt = Date.now();
  const batches: SubmittedBatch[] = await Promise.all([
    submitUploadBatch(s, { name: 's1-upload', count: 300 }),
    submitUrlBatch(s, { name: 's1-urls', count: 50 }),
  ]);
  const ids = batches.map((b) => b.batchId);
  const openImages = () =>
    s.prisma.image.count({ where: { batchId: { in: ids }, status: { in: ['pending', 'fetching', 'processing'] } } });

  const takeovers: number[] = [];
  let inFlightAtKills = 0;
  const openAtKills: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const victim = s.procs.get('resize')!;
    // Let it take work first, so the kill lands with images in its hands.
    const port = victim.env.HEALTH_PORT;
    await until(
      `resize worker to finish images before kill ${k + 1}`,
      async () => (await jobsDone(port, 'resize.image')) >= 8,
    );
    const inFlight = await s.prisma.image.findMany({
      where: { batchId: { in: ids }, status: 'processing' },
      select: { id: true },
    });
    const open = await openImages();
    expect(open).toBeGreaterThan(0); // mid-batch
    openAtKills.push(open);
    await victim.kill9();
    const killedAt = Date.now();
    inFlightAtKills += inFlight.length;
    // The other worker finishes what was in flight at the kill (the killed worker's share comes back from the broker).
    const restart = s.start('resize', 'resize');
    await until(
      'images in flight at the kill to end',
      async () =>
        (await s.prisma.image.count({
          where: { id: { in: inFlight.map((i) => i.id) }, status: { in: ['succeeded', 'failed'] } },
        })) === inFlight.length,
      60_000,
      25,
    );
    takeovers.push((Date.now() - killedAt) / 1000);
    await restart;
  }

  const result = await finishScenario(s, {
    n: 1,
    title: 'resize worker killed (-9) mid-batch, 3 times, another running; restarted',
    fault: `${KILLS} × SIGKILL of one of 2 resize workers (holding up to 8 jobs), each restarted at once`,
    batches,
    startedAt,
    recovery: () => Math.round(Math.max(...takeovers) * 10) / 10,
    recoveryMeasure: 'kill → every image in flight at the kill finished (worst of the kills)',
    notes: async () => ({
      images_in_flight_at_kills: inFlightAtKills,
      images_still_open_at_each_kill: openAtKills,
      images_claimed_more_than_once: await s.prisma.image.count({
        where: { batchId: { in: ids }, attempts: { gt: 1 } },
      }),
    }),
  });
  expectNothingLost(result);
  // The kills really interrupted work: images in flight at a kill were taken again by a worker.
  expect(result.notes.images_claimed_more_than_once).toBeGreaterThan(0);
});
