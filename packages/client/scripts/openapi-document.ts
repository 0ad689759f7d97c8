// The API's OpenAPI document as the gateway builds it, without a server or a database: the app is composed over
// dependencies no route touches while registering, and its document route answered in-process.
import { loadSettings } from '@pixmill/config';
import { createLogger, createRegistry } from '@pixmill/observability';
import { createMemoryTransport } from '@pixmill/queue';
import { createApp, type GatewayDeps } from '@pixmill/gateway';

export async function openapiDocument(): Promise<Record<string, unknown>> {
  const settings = { ...loadSettings({}), LOG_LEVEL: 'silent' as const };
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not connected')) });
  const deps = {
    settings,
    prisma: unused,
    store: Object.assign(Object.create(unused) as object, { kind: 'local' }),
    transport: createMemoryTransport({ maxAttempts: 1, retryDelaysMs: [0], log: createLogger('doc', 'silent') }),
    log: createLogger('doc', 'silent'),
    registry: createRegistry('openapi-document'),
    jwtSecret: 'x'.repeat(32),
  } as unknown as GatewayDeps;
  const app = createApp(deps);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
    if (!res.ok) throw new Error(`openapi.json: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    server.close();
  }
}
