// HTTP latency histogram labelled by the matched route pattern (`/api/v1/api-keys/:id`), never the raw path,
// so label cardinality stays bounded however many ids clients send.
import type { RequestHandler } from 'express';
import { Histogram, metric, type Registry } from '@pixmill/observability';

export const HTTP_DURATION = 'pixmill_http_request_duration_seconds';

export function httpMetrics(registry: Registry): RequestHandler {
  const histogram = metric(
    registry,
    HTTP_DURATION,
    () =>
      new Histogram({
        name: HTTP_DURATION,
        help: 'HTTP request duration by method, matched route and status.',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  );
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.once('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? req.baseUrl + pattern : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
