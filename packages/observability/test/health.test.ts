import { runHealthChecks } from '../src';

describe('health checks', () => {
  it('is ok only when every check passes, and names the one that failed', async () => {
    const report = await runHealthChecks([
      { name: 'database', check: async () => {} },
      { name: 'queue', check: async () => Promise.reject(new Error('connection refused')) },
    ]);
    expect(report.status).toBe('unavailable');
    expect(report.checks.database?.status).toBe('ok');
    expect(report.checks.queue).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('bounds a check that hangs', async () => {
    const report = await runHealthChecks([{ name: 'storage', check: () => new Promise(() => {}) }], 50);
    expect(report.checks.storage).toMatchObject({ status: 'down', error: 'timed out after 50 ms' });
  });
});
