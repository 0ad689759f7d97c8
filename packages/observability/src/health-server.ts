// /health and /metrics for the worker services (the gateway serves its own through Express).
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { errorBody } from '@pixmill/contracts';
import { runHealthChecks, type HealthCheck } from './health';

export async function serveHealthAndMetrics(o: {
  port: number;
  /** The bind address (the HOST setting). */
  host: string;
  checks: HealthCheck[];
  registry: Registry;
}): Promise<{ server: Server; port: number; host: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      sendError(res, 405, 'method_not_allowed', 'GET only');
      return;
    }
    if (path === '/health' || path === '/healthz' || path === '/readyz') {
      void runHealthChecks(o.checks).then((report) => {
        res
          .writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(report));
      });
      return;
    }
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/metrics') {
      void o.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text));
      return;
    }
    sendError(res, 404, 'not_found', `no route for ${req.method} ${path}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : o.port,
    host: typeof address === 'object' && address ? address.address : o.host,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(code, message)));
}
