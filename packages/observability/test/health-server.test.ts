import { createRegistry, serveHealthAndMetrics } from '../src';

describe('worker health and metrics server', () => {
  it('answers 200 when checks pass, 503 when one fails, and serves metrics', async () => {
    let queueUp = true;
    const registry = createRegistry('test-worker');
    const srv = await serveHealthAndMetrics({
      port: 0,
      host: '127.0.0.1',
      registry,
      checks: [
        {
          name: 'queue',
          check: async () => {
            if (!queueUp) throw new Error('down');
          },
        },
      ],
    });
    try {
      const base = `http://127.0.0.1:${srv.port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      queueUp = false;
      const down = await fetch(`${base}/health`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { checks: { queue: { status: string } } }).checks.queue.status).toBe('down');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('pixmill_process_resident_memory_bytes');
      const nope = await fetch(`${base}/nope`);
      expect(nope.status).toBe(404);
      expect(await nope.json()).toEqual({
        success: false,
        error: 'no route for GET /nope',
        code: 'not_found',
        details: null,
        timestamp: expect.any(String),
      });
      const post = await fetch(`${base}/health`, { method: 'POST' });
      expect([post.status, ((await post.json()) as { code: string }).code]).toEqual([405, 'method_not_allowed']);
    } finally {
      await srv.close();
    }
  });
});
