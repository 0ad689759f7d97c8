// Scenario 4 of issue 8: PostgreSQL stopped for 10 s mid-batch and restarted, on a cluster of the suite's own.
// Handlers that hit the outage fail and are retried by the queue (QUEUE_RETRY_DELAYS_MS, the defaults); relays and
// pools reconnect; no process dies, and every image still ends exactly once.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { expectNothingLost, finishScenario, sleep, until } from './support/scenario';
import { firstImageEndedAfter } from './support/verify';

const OUTAGE_MS = 10_000;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('PostgreSQL down 10 s mid-batch: services retry and recover, nothing lost or doubled', async () => {
  stack = await startFaultStack({ postgres: 'private' });
  const s = stack;
  const database = s.postgres!;
  await s.startAll({ resizeWorkers: 1 });

  const batches: SubmittedBatch[] = [];
  const startedAt = Date.now();
  batches.push(
    ...(await Promise.all([
      submitUploadBatch(s, { name: 's4-upload', count: 200 }),
      submitUrlBatch(s, { name: 's4-urls', count: 50 }),
    ])),
  );
  const ids = batches.map((b) => b.batchId);
  const processed = async () =>
    (await s.prisma.batch.findMany({ where: { id: { in: ids } } })).reduce((n, b) => n + b.processedImages, 0);
  await until('a sixth of the images to be processed', async () => (await processed()) >= 40, 120_000);

  const processedAtStop = await processed();
  await database.stop();
  const stoppedAt = Date.now();
  expect(processedAtStop).toBeLessThan(250);
  await sleep(OUTAGE_MS);
  await database.start();
  const backAt = Date.now();

  const result = await finishScenario(s, {
    n: 4,
    title: 'PostgreSQL stopped 10 s mid-batch, then restarted',
    fault: `private PostgreSQL cluster stopped (pg_ctl -m fast) ${OUTAGE_MS / 1000} s with images in flight`,
    batches,
    startedAt,
    recovery: () =>
      firstImageEndedAfter(
        s,
        batches.map((b) => b.batchId),
        backAt,
      ),
    recoveryMeasure: 'database accepting connections again → next image of the batches ended',
    notes: () => ({
      outage_seconds: Math.round((backAt - stoppedAt) / 100) / 10,
      queue_retry_delays_ms: 'defaults (1000,5000,30000,120000)',
      handler_failures_retried: [...s.procs.values()].reduce(
        (n, p) => n + p.countLog('job failed; retry scheduled'),
        0,
      ),
      dead_lettered: [...s.procs.values()].reduce(
        (n, p) => n + p.countLog('job failed on its last attempt; dead-lettered'),
        0,
      ),
    }),
  });
  expectNothingLost(result);
  // No process died of the outage: the ones started before it did all the work.
  for (const p of s.procs.values()) expect({ [p.label]: p.alive() }).toEqual({ [p.label]: true });
  expect(result.notes.dead_lettered).toBe(0);
});
