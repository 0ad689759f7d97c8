// Scenario 3 of issue 8: RabbitMQ stopped for 20 s mid-batch and restarted, on a node of the suite's own. While it
// is down the gateway still takes a new batch (its jobs wait in the outbox), work in flight finishes, and afterwards
// every process reconnects, the outbox drains, and unacknowledged messages come back and are dropped or finished.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { expectNothingLost, finishScenario, sleep, until } from './support/scenario';
import { firstImageEndedAfter } from './support/verify';

const OUTAGE_MS = 20_000;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('RabbitMQ down 20 s mid-batch: the outbox buffers, consumers reconnect, nothing lost or doubled', async () => {
  stack = await startFaultStack({ rabbitmq: 'private' });
  const s = stack;
  const broker = s.rabbitmq!;
  await s.startAll({ resizeWorkers: 1 });

  const batches: SubmittedBatch[] = [];
  const startedAt = Date.now();
  const upload = await submitUploadBatch(s, { name: 's3-upload', count: 300 });
  batches.push(upload);
  const processed = async () =>
    (await s.prisma.batch.findUniqueOrThrow({ where: { id: upload.batchId } })).processedImages;
  // Early: stopping the node takes a few seconds (rabbitmqctl), and the batch must still be running when it is down.
  await until('the upload batch to be under way', async () => (await processed()) >= 20, 120_000);

  await broker.stop();
  const stoppedAt = Date.now();
  const processedAtStop = await processed();
  expect(processedAtStop).toBeLessThan(upload.total);

  // Publishers buffer: a batch submitted now is accepted, its jobs wait in the outbox.
  const urls = await submitUrlBatch(s, { name: 's3-urls', count: 50 });
  batches.push(urls);
  const waitingInOutbox = await s.prisma.outboxMessage.count({ where: { publishedAt: null } });
  expect(waitingInOutbox).toBeGreaterThan(0);

  await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
  const processedDuringOutage = (await processed()) - processedAtStop;
  await broker.start();
  const backAt = Date.now();
  await until(
    'the outbox to drain',
    async () => (await s.prisma.outboxMessage.count({ where: { publishedAt: null } })) === 0,
    180_000,
    100,
  );
  const drainedAfter = (Date.now() - backAt) / 1000;

  const result = await finishScenario(s, {
    n: 3,
    title: 'RabbitMQ stopped 20 s mid-batch, then restarted',
    fault: `private RabbitMQ node stopped ${OUTAGE_MS / 1000} s (plus its restart) with images in flight; a batch submitted meanwhile`,
    batches,
    startedAt,
    recovery: () =>
      firstImageEndedAfter(
        s,
        batches.map((b) => b.batchId),
        backAt,
      ),
    recoveryMeasure: 'broker serving again → next image of the batches ended',
    notes: () => ({
      outage_seconds: Math.round((backAt - stoppedAt) / 100) / 10,
      outbox_rows_waiting_during_outage: waitingInOutbox,
      images_processed_during_outage: processedDuringOutage,
      outbox_drained_seconds_after_restart: Math.round(drainedAfter * 10) / 10,
      reconnected: Object.fromEntries([...s.procs.values()].map((p) => [p.label, p.countLog('amqp connected')])),
    }),
  });
  expectNothingLost(result);
  // Every process is the one started before the outage, and each connected again.
  for (const p of s.procs.values()) {
    expect({ [p.label]: p.alive() }).toEqual({ [p.label]: true });
    expect(p.countLog('amqp connected')).toBeGreaterThanOrEqual(2);
  }
});
