/** A named dependency check; health is the sum of them. */
export type HealthCheck = { name: string; check: () => Promise<void> };
export type HealthReport = {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'ok' | 'down'; error?: string; ms: number }>;
};

/** Runs every check at once, each bounded by a timeout, so one hung dependency can't hang the probe. */
export async function runHealthChecks(checks: HealthCheck[], timeoutMs = 3000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { status: 'ok' as const, ms: Date.now() - started }] as const;
      } catch (err) {
        return [name, { status: 'down' as const, error: (err as Error).message, ms: Date.now() - started }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const out: HealthReport['checks'] = Object.fromEntries(results);
  return { status: results.every(([, r]) => r.status === 'ok') ? 'ok' : 'unavailable', checks: out };
}
