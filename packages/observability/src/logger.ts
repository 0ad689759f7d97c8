import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs; the service name on every line, and child loggers carry batch/image/request ids. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'password', '*.password'],
      remove: true,
    },
  });
}
