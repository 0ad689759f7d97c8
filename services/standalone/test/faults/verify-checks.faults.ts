// The zeros of the fault table mean something only if the checks can see what they count: a small clean batch,
// then each kind of damage done by hand, each of which the per-batch check must report.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch } from './support/fault-batches';
import { checkBatch, waitForQuiet } from './support/verify';

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('the per-batch check reports a missing output, an extra object, wrong counters, a lost image and a second webhook', async () => {
  stack = await startFaultStack();
  const s = stack;
  await s.startAll();
  const b = await submitUploadBatch(s, { name: 'checks', count: 10, bad: 2 });
  await waitForQuiet(s, [b], 60_000);
  expect((await checkBatch(s, b)).problems).toEqual([]);

  const output = await s.prisma.output.findFirstOrThrow({ where: { image: { batchId: b.batchId } } });
  await s.s3.store.delete(output.storageKey);
  await s.s3.store.put(`outputs/${b.batchId}/${output.imageId}/copy.jpg`, Buffer.from('x'), {
    contentType: 'image/jpeg',
    contentLength: 1,
  });
  await s.prisma.batch.update({ where: { id: b.batchId }, data: { failedImages: { increment: 1 } } });
  const damaged = await checkBatch(s, b);
  expect(damaged).toMatchObject({ missingOutputs: 1, duplicatedOutputs: 1, lost: 0 });
  expect(damaged.problems.some((p) => p.startsWith('counters'))).toBe(true);

  const [delivered] = s.receiver.received('/hooks/checks');
  await fetch(s.receiver.url('/hooks/checks'), { method: 'POST', body: delivered!.body, headers: delivered!.headers });
  const good = await s.prisma.image.findFirstOrThrow({ where: { batchId: b.batchId, status: 'succeeded' } });
  await s.prisma.image.update({ where: { id: good.id }, data: { status: 'processing' } });
  expect(await checkBatch(s, b)).toMatchObject({ lost: 1, duplicateWebhooks: 1 });
});
