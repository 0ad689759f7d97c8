// Request logging with a request id: a sane incoming X-Request-Id is kept (so ids follow a request across proxies),
// anything else is replaced, and the id is echoed back so a client can quote it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@pixmill/observability';
import { pinoHttp } from 'pino-http';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Probes and scrapes would drown the log; they are still counted in metrics. */
const quiet = new Set(['/healthz', '/readyz', '/livez', '/health', '/metrics']);

export function requestLogger(log: Logger) {
  return pinoHttp({
    logger: log,
    genReqId: requestId,
    autoLogging: { ignore: (req) => quiet.has((req.url ?? '').split('?')[0] ?? '') },
    // A 503 is pixmill saying "busy, retry" (Retry-After) on purpose, as during a login flood: a warning, without the
    // stack pino-http makes up for 5xx answers (a line with a stack per refused login would cost the CPU it protects).
    customLogLevel: (_req, res, err) =>
      res.statusCode === 503
        ? 'warn'
        : err || res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : 'info',
    customErrorObject: (_req, res, _err, line: Record<string, unknown>) =>
      res.statusCode === 503 ? { ...line, err: undefined } : line,
    customErrorMessage: (_req, res) => (res.statusCode === 503 ? 'request answered busy' : 'request errored'),
    // Keep lines small: no headers (they may carry credentials; the logger redacts them anyway).
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
