// Scenario 2 of issue 8: `kill -9` the ingest worker mid-chunk; restart. The image server holds its answers at a
// chosen moment, so the worker is surely in the middle of a chunk (URLs fetched, others in flight) when it dies.
// The chunk comes back from the broker; the restarted worker fetches only what has no original yet.
import { startFaultStack, type FaultStack } from './support/fault-stack';
import { submitUploadBatch, submitUrlBatch, type SubmittedBatch } from './support/fault-batches';
import { listObjects } from './support/s3-listing';
import { expectNothingLost, finishScenario, until } from './support/scenario';

const KILLS = 2;

let stack: FaultStack | undefined;
afterAll(() => stack?.close());

it('ingest worker killed -9 mid-chunk twice: every URL ends once, originals and outputs exact, one webhook', async () => {
  stack = await startFaultStack({ env: { CHUNK_SIZE: '50' } });
  const s = stack;
  await s.startAll({ resizeWorkers: 1 });

  // The first answers go through, then the server holds the rest until the worker has been killed.
  s.images.closeGate(30);
  const startedAt = Date.now();
  const urls = await submitUrlBatch(s, { name: 's2-urls', count: 200 });
  const batches: SubmittedBatch[] = [urls, await submitUploadBatch(s, { name: 's2-upload', count: 50 })];
  const fetched = () => s.prisma.image.count({ where: { batchId: urls.batchId, originalKey: { not: null } } });

  const recoveries: number[] = [];
  let fetchedAtKills = 0;
  for (let k = 0; k < KILLS; k++) {
    await until('fetches to be held mid-chunk', async () => s.images.held() > 0, 60_000, 25);
    await until('the answered fetches to be recorded', async () => (await fetched()) > fetchedAtKills, 30_000);
    const chunk = await s.prisma.chunk.findFirst({ where: { batchId: urls.batchId, status: 'processing' } });
    expect(chunk).not.toBeNull(); // mid-chunk: taken, not finished
    await s.procs.get('ingest')!.kill9();
    fetchedAtKills = await fetched();
    expect(fetchedAtKills).toBeLessThan(urls.total);
    // Held answers were for the dead worker; the next round holds again after 30 more.
    s.images.openGate();
    if (k < KILLS - 1) s.images.closeGate(30);
    await s.start('ingest', 'ingest');
    const restartedAt = Date.now();
    await until('a URL fetched after the restart', async () => (await fetched()) > fetchedAtKills, 60_000, 25);
    recoveries.push((Date.now() - restartedAt) / 1000);
  }

  const result = await finishScenario(s, {
    n: 2,
    title: 'ingest worker killed (-9) mid-chunk; restarted',
    fault: `${KILLS} × SIGKILL of the only ingest worker with fetches in flight, restarted`,
    batches,
    startedAt,
    recovery: () => Math.round(Math.max(...recoveries) * 10) / 10,
    recoveryMeasure: 'ingest worker consuming again → next URL fetched and recorded (worst of the kills)',
    notes: async () => {
      const stored = await listObjects(s.s3, `originals/${urls.batchId}/`);
      const recorded = await s.prisma.image.findMany({
        where: { batchId: urls.batchId, originalKey: { not: null } },
        select: { originalKey: true },
      });
      return {
        originals_stored: stored.size,
        originals_recorded: new Set(recorded.map((r) => r.originalKey)).size,
        chunks: await s.prisma.chunk.count({ where: { batchId: urls.batchId } }),
      };
    },
  });
  expectNothingLost(result);
  // Fetched twice or not, each image has one original object: no leftovers from the killed fetches.
  expect(result.notes.originals_stored).toBe(result.notes.originals_recorded);
});
