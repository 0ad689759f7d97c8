import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** What stands where a secret was. */
export const REDACTED = '[redacted]';

// Fields whose values are secrets wherever they appear in a logged object (pino's redact, by path).
const SECRET_FIELDS = [
  'password',
  'passwordHash',
  'newPassword',
  'secret',
  'webhookSecret',
  'webhook_secret',
  'jwtSecret',
  'token',
  'access_token',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
];
const SECRET_HEADERS = [
  'authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'webhook-signature',
  'x-webhook-signature',
];
const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`]),
];

/**
 * Query parameters that carry credentials: pixmill's signed links (`token`, `sig`), presigned S3 URLs, and keys or
 * passwords a client or a source URL put in a query string.
 */
const SECRET_PARAMS = [
  'token',
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
];

// Applied to each finished log line, so a secret inside a message, a URL, an error or a stack is caught too.
const SCRUBS: [RegExp, string][] = [
  // ?token=… &sig=… (up to the next parameter, or the end of the JSON string)
  [new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"\\\\]+`, 'gi'), `$1${REDACTED}`],
  // scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"\\]*:)[^@/\s"\\]+@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // pixmill API keys and webhook signing secrets, and JWTs, by their shape
  [/\bpmk_[A-Za-z0-9_-]+/g, `pmk_${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, REDACTED],
];

/** `text` with every credential pixmill knows the shape of replaced by [redacted]. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBS) out = out.replace(pattern, replacement);
  return out;
}

/** JSON logs; the service name on every line, and child loggers carry batch/image/request ids. No secrets. */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: { streamWrite: scrubSecrets },
  };
  return destination ? pino(options, destination) : pino(options);
}
