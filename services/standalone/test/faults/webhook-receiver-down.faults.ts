// Scenario 6 of issue 8: the webhook receiver is down (connections refused) when the batches end and for the first
// attempts of their webhooks, with the retry schedule shrunk by its setting (seconds instead of minutes). When it
// comes back, each batch's completion is delivered exactly once, and every failed attempt is on record.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { expectNothingLost, finishScenario, until } from './support/scenario';

// The Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h, ...) compressed: long enough to outlast the downtime.
const SCHEDULE = '1000,2000,4000,8000,16000,32000';
const FAILED_ATTEMPTS_BEFORE_UP = 3;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('webhook receiver down for the first attempts: each completion delivered once after it is back', async () => {
  stack = await startFaultStack({ env: { WEBHOOK_RETRY_SCHEDULE_MS: SCHEDULE, WEBHOOK_TIMEOUT_MS: '3000' } });
  const s = stack;
  await s.startAll({ resizeWorkers: 1 });
  await s.receiver.stop();
  const downAt = Date.now();

  const startedAt = Date.now();
  const batches: SubmittedBatch[] = await Promise.all([
    submitUploadBatch(s, { name: 's6-upload', count: 200 }),
    submitUrlBatch(s, { name: 's6-urls', count: 50 }),
  ]);
  const ids = batches.map((b) => b.batchId);
  const failedAttempts = (batchId: string) =>
    s.prisma.webhookDelivery.count({ where: { batchId, status: 'failed', nextAttemptAt: { not: null } } });
  await until(
    `every batch's webhook to fail ${FAILED_ATTEMPTS_BEFORE_UP} times`,
    async () => {
      for (const id of ids) if ((await failedAttempts(id)) < FAILED_ATTEMPTS_BEFORE_UP) return false;
      return true;
    },
    180_000,
    100,
  );
  // Nothing got through while it was down.
  expect(await s.prisma.webhookDelivery.count({ where: { batchId: { in: ids }, status: 'succeeded' } })).toBe(0);
  await s.receiver.start();
  const upAt = Date.now();

  const result = await finishScenario(s, {
    n: 6,
    title: 'webhook receiver down for the first attempts (schedule shrunk), then back',
    fault: `receiver refusing connections for ${Math.round((upAt - downAt) / 1000)} s, until each webhook had failed ${FAILED_ATTEMPTS_BEFORE_UP}+ times; WEBHOOK_RETRY_SCHEDULE_MS=${SCHEDULE}`,
    batches,
    startedAt,
    recovery: () => {
      const delivered = batches.map((b) => s.receiver.received(`/hooks/${b.name}`)[0]?.at ?? Infinity);
      return Math.round((Math.max(...delivered) - upAt) / 100) / 10;
    },
    recoveryMeasure: 'receiver back → last batch webhook delivered (bounded by the next scheduled attempt)',
    notes: async () => ({
      receiver_down_seconds: Math.round((upAt - downAt) / 100) / 10,
      failed_attempts_before_delivery: Object.fromEntries(
        await Promise.all(batches.map(async (b) => [b.name, await failedAttempts(b.batchId)] as const)),
      ),
    }),
  });
  expectNothingLost(result);
  // The delivery log: the refused attempts, each with a retry scheduled, then exactly one success, one event id.
  for (const b of batches) {
    const rows = await s.prisma.webhookDelivery.findMany({
      where: { batchId: b.batchId },
      orderBy: { attempt: 'asc' },
    });
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(1);
    expect(rows.at(-1)?.status).toBe('succeeded');
    expect(rows.slice(0, -1).every((r) => r.status === 'failed' && r.nextAttemptAt !== null)).toBe(true);
    expect(rows.length).toBeGreaterThan(FAILED_ATTEMPTS_BEFORE_UP);
  }
});
