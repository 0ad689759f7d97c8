// Scenario 7 of issue 8: a poison message — its handler throws on every delivery — goes to the dead-letter queue
// after QUEUE_MAX_ATTEMPTS, while the rest flows around it.
//
// The poison is real handler code failing: a database trigger (in this scenario's own database) refuses every
// write to one image, so the resize handler's claim of that image throws each time, including on the last attempt,
// where the handler would otherwise fail the image with a reason. That image is in a batch of its own, so the
// scenario's two batches must complete untouched. Afterwards the operator path is shown: the cause removed, the
// admin reset queues the image again and its batch completes; the dead letter is purged by the admin cleanup.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { peekDeadLetters } from './support/dead-letters';
import { expectNothingLost, finishScenario, until } from './support/scenario';
import { checkBatch, firstImageEndedAfter, waitForQuiet } from './support/verify';
import { readData } from '@pixmill/gateway/testing';

const MAX_ATTEMPTS = 5;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

type QueueStatus = { queues: Record<string, { dead_lettered?: number; ready?: number }> };

it('poison message: dead-lettered after the limit while 250 other images complete; the operator recovers it', async () => {
  stack = await startFaultStack({
    env: { QUEUE_MAX_ATTEMPTS: String(MAX_ATTEMPTS), QUEUE_RETRY_DELAYS_MS: '200,500,1000' },
  });
  const s = stack;
  await s.startAll({ resizeWorkers: 1 });

  const poison = await submitUploadBatch(s, { name: 's7-poison', count: 1, bad: 0, autoStart: false });
  const [poisonImage] = await s.prisma.image.findMany({ where: { batchId: poison.batchId }, select: { id: true } });
  await s.prisma.$executeRawUnsafe(`
    CREATE FUNCTION pixfault_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'poison: image % refuses every write', OLD.id; END $$`);
  await s.prisma.$executeRawUnsafe(`
    CREATE TRIGGER pixfault_poison BEFORE UPDATE ON images FOR EACH ROW
    WHEN (OLD.id = '${poisonImage!.id}'::uuid) EXECUTE FUNCTION pixfault_poison()`);

  const startedAt = Date.now();
  const batches: SubmittedBatch[] = await Promise.all([
    submitUploadBatch(s, { name: 's7-upload', count: 200 }),
    submitUrlBatch(s, { name: 's7-urls', count: 50 }),
  ]);
  const started = await s.api(`/api/v1/batches/${poison.batchId}/start`, { method: 'POST' });
  expect(started.status).toBe(200);
  const poisonStartedAt = Date.now();

  const queueStatus = async () => (await readData(await s.api('/api/v1/admin/queue/status'))) as QueueStatus;
  await until(
    'the poison message in the dead-letter queue',
    async () => (await queueStatus()).queues['resize.image']?.dead_lettered === 1,
    120_000,
    100,
  );
  const deadLetteredAfter = (Date.now() - poisonStartedAt) / 1000;

  // The rest flowed: both batches end while the poison sits in the dead-letter queue.
  const endedAt = await waitForQuiet(s, batches, 180_000);
  const [dead] = await peekDeadLetters(s.amqpUrl, `${s.prefix}.resize.image.dlq`);
  // Its batch is held, not lost: visible to the operator, its image untouched.
  const held = await s.prisma.batch.findUniqueOrThrow({ where: { id: poison.batchId } });
  const heldImage = await s.prisma.image.findUniqueOrThrow({ where: { id: poisonImage!.id } });

  // The operator removes the cause, resets the batch (its open work is queued again) and purges the dead letter.
  await s.prisma.$executeRawUnsafe('DROP TRIGGER pixfault_poison ON images');
  const resetAt = Date.now();
  const reset = await s.api(`/api/v1/admin/batch/${poison.batchId}/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stuck_minutes: 0 }),
  });
  expect(reset.status).toBe(200);
  await waitForQuiet(s, [poison], 60_000);
  const recovered = await checkBatch(s, { ...poison, expectFailed: new Set() });
  const cleanup = await s.api('/api/v1/admin/queue/cleanup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ purge_dead_letters: ['resize.image'] }),
  });
  const purged = ((await readData(cleanup)) as { dead_letters_purged: Record<string, number> }).dead_letters_purged;

  const result = await finishScenario(s, {
    n: 7,
    title: 'poison message (its handler always throws) among 250 images',
    fault: `one resize job whose every delivery throws (a trigger refuses writes to its image); QUEUE_MAX_ATTEMPTS=${MAX_ATTEMPTS}`,
    batches,
    startedAt,
    endedAt,
    recovery: () => firstImageEndedAfter(s, [poison.batchId], resetAt),
    recoveryMeasure: 'cause removed + admin reset → the poisoned image processed (the other batches never stopped)',
    notes: () => ({
      poison_dead_lettered_seconds_after_start: Math.round(deadLetteredAfter * 10) / 10,
      poison_deliveries: dead?.headers['x-pixmill-attempt'] ?? null,
      dead_letter: dead
        ? {
            imageId: (dead.body as { imageId?: string }).imageId,
            reason: dead.headers['x-pixmill-dead-reason'],
            attempt: dead.headers['x-pixmill-attempt'],
          }
        : null,
      poison_batch_after_reset: recovered.status,
      dead_letters_purged: purged,
    }),
  });
  expectNothingLost(result);
  // The poison went round exactly QUEUE_MAX_ATTEMPTS times, and the dead letter says which image and why.
  expect(result.notes.dead_letter).toEqual({ imageId: poisonImage!.id, reason: 'max-attempts', attempt: MAX_ATTEMPTS });
  expect(held.status).toBe('queued');
  expect(heldImage.status).toBe('pending');
  // Recovered by the operator: processed once, outputs exact, one webhook; the dead letter purged.
  expect(recovered.problems).toEqual([]);
  expect(purged).toEqual({ 'resize.image': 1 });
});
