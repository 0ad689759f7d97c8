// Server-Sent Events for one batch. Progress is read from the database, so it works whichever replica or worker
// did the work; one light query a second per open stream.
import type { Request, Response } from 'express';
import type { PrismaClient } from '@pixmill/db';
import { batchSummary } from './batch-view';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export async function streamBatchEvents(
  req: Request,
  res: Response,
  prisma: Pick<PrismaClient, 'batch'>,
  batchId: string,
  pollMs = 1000,
): Promise<void> {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 2000\n\n');

  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  let last = '';
  let sinceWrite = 0;
  while (!closed) {
    const batch = await prisma.batch.findUnique({ where: { id: batchId } });
    if (!batch) break;
    const summary = batchSummary(batch);
    const text = JSON.stringify(summary);
    if (text !== last) {
      last = text;
      sinceWrite = 0;
      res.write(`event: progress\ndata: ${text}\n\n`);
    }
    if (FINAL.has(batch.status)) {
      res.write(`event: end\ndata: ${text}\n\n`);
      break;
    }
    sinceWrite += pollMs;
    // A comment now and then keeps proxies from closing an idle stream.
    if (sinceWrite >= 15_000) {
      sinceWrite = 0;
      res.write(': keep-alive\n\n');
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  res.end();
}
