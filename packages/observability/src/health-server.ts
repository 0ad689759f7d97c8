// /health and /metrics for the worker services (the gateway serves its own through Express).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
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
      res
        .writeHead(405, { 'content-type': 'application/json' })
        .end('{"error":{"code":"method_not_allowed","message":"GET only"}}');
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
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":{"code":"not_found","message":"no such route"}}');
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
