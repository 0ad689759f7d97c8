// Test runs only (setting RESPONSE_CHECK_DIR): every answer the gateway sends is held against what its own OpenAPI
// document declares for the operation it answered: the status, the media type, a JSON body's schema, and the headers
// clients act on (Location, ETag, Retry-After, RateLimit, X-Polling-Interval). Each difference is appended as one JSON
// line to a file of this process in that folder; the test run's reporter (services/gateway/test/support/response-check.reporter.js)
// fails the run on any. Answers to paths no route takes are held against the shared error schema.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { HttpMethod, JsonObject, OpenApiRegistry } from './registry';
import { toOpenApiPath } from './registry';

/** One answer that differs from its declaration, as written to the mismatch file. */
export type ResponseMismatch = {
  method: string;
  /** The operation's path template, or the request path when no route takes it. */
  path: string;
  url: string;
  status: number;
  problems: string[];
};

/** Headers whose presence a client relies on: each one sent must be declared on the response. */
const CONTRACT_HEADERS = ['location', 'etag', 'retry-after', 'ratelimit', 'ratelimit-policy', 'x-polling-interval'];

/** Largest body kept for checking; bigger JSON answers are reported as unchecked rather than buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

type Operation = { method: HttpMethod; template: string; pattern: RegExp };
type ResponseObject = { content?: Record<string, { schema?: JsonObject }>; headers?: Record<string, unknown> };

const escapeRegExp = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** An Express 5 path (`/batches/:id`, `/files/*key`) as a regular expression matching what Express would dispatch. */
function pathPattern(expressPath: string): RegExp {
  const source = expressPath
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) return '[^/]+';
      if (seg.startsWith('*')) return '.+';
      return escapeRegExp(seg);
    })
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}

/** A JSON pointer into the document, as a URI fragment ajv resolves. */
const pointer = (...segments: string[]) =>
  '#/' + segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const baseType = (contentType: unknown) =>
  String(contentType ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/** Whether a declared media type (which may be `image/*` or `*\/*`) covers the one sent. */
const covers = (declared: string, sent: string) => {
  const d = declared.toLowerCase();
  if (d === sent || d === '*/*') return true;
  return d.endsWith('/*') && sent.startsWith(d.slice(0, -1));
};

export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private doc: JsonObject | undefined;
  private ops: Operation[] | undefined;

  constructor(private readonly registry: OpenApiRegistry) {
    addFormats(this.ajv);
  }

  /** Built on first use: by then every router has registered its routes. */
  private document(): { doc: JsonObject; ops: Operation[] } {
    if (!this.doc || !this.ops) {
      this.doc = this.registry.document({ title: 'pixmill', version: '1' });
      this.ajv.addSchema(this.doc, 'pixmill-openapi');
      this.ops = this.registry.operations.map((o) => ({
        method: o.method,
        template: toOpenApiPath(o.path),
        pattern: pathPattern(o.path),
      }));
    }
    return { doc: this.doc, ops: this.ops };
  }

  private validator(ref: string): ValidateFunction {
    let v = this.validators.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: `pixmill-openapi${ref}` });
      this.validators.set(ref, v);
    }
    return v;
  }

  private schemaErrors(ref: string, body: Buffer): string[] {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return ['body is not valid JSON'];
    }
    const validate = this.validator(ref);
    if (validate(value)) return [];
    return (validate.errors ?? []).slice(0, 12).map((e) => {
      const extra =
        e.keyword === 'additionalProperties'
          ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
          : e.keyword === 'enum'
            ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
            : '';
      return `body${e.instancePath || ''} ${e.message ?? e.keyword}${extra}`;
    });
  }

  /** What differs between an answer and its declaration (empty when it matches). */
  check(a: {
    method: string;
    path: string;
    status: number;
    headers: Record<string, unknown>;
    /** Bytes of body sent, and the body itself when it was JSON. */
    bodyBytes: number;
    json?: Buffer | undefined;
  }): { template: string; problems: string[] } | undefined {
    const { doc, ops } = this.document();
    const method = (a.method === 'HEAD' ? 'get' : a.method.toLowerCase()) as HttpMethod;
    const op = ops.find((o) => o.method === method && o.pattern.test(a.path));
    const mediaType = baseType(a.headers['content-type']);
    const hasBody = a.bodyBytes > 0;

    if (!op) {
      // No route: only the error answers of the app itself (404, body-parse errors...), in the shared shape.
      if (!hasBody || !isJson(mediaType)) return undefined;
      if (!a.json || a.bodyBytes > MAX_BODY_BYTES) return undefined;
      const problems = this.schemaErrors(pointer('components', 'schemas', 'Error'), a.json);
      return { template: a.path, problems };
    }

    const problems: string[] = [];
    const responses = ((doc.paths as Record<string, Record<string, { responses: Record<string, ResponseObject> }>>)[
      op.template
    ]?.[method]?.responses ?? {}) as Record<string, ResponseObject>;
    const statusKey = [String(a.status), `${String(a.status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!statusKey) {
      problems.push(`status ${a.status} is not declared (declared: ${Object.keys(responses).join(', ')})`);
      return { template: op.template, problems };
    }
    const declared = responses[statusKey]!;

    const declaredHeaders = new Set(Object.keys(declared.headers ?? {}).map((h) => h.toLowerCase()));
    for (const h of CONTRACT_HEADERS) {
      // Express tags every body it sends; the tag means something (If-None-Match) only on a GET's success.
      if (h === 'etag' && (method !== 'get' || a.status >= 300)) continue;
      if (a.headers[h] !== undefined && !declaredHeaders.has(h)) problems.push(`header ${h} is sent but not declared`);
    }

    if (hasBody && a.method !== 'HEAD') {
      const types = Object.keys(declared.content ?? {});
      const match = types.find((t) => covers(t, mediaType));
      if (!match) {
        problems.push(
          `${mediaType || 'a body without Content-Type'} is sent but not declared` +
            (types.length ? ` (declared: ${types.join(', ')})` : ' (no body declared)'),
        );
      } else if (a.json && declared.content![match]!.schema) {
        if (a.bodyBytes > MAX_BODY_BYTES) problems.push(`body too large to check (${a.bodyBytes} bytes)`);
        else {
          const ref = pointer('paths', op.template, method, 'responses', statusKey, 'content', match, 'schema');
          problems.push(...this.schemaErrors(ref, a.json));
        }
      }
    }
    return { template: op.template, problems };
  }
}

/**
 * The middleware that checks every answer of the app (mounted first) and records mismatches in `dir`.
 * Bodies are kept only while they are JSON and under MAX_BODY_BYTES, so streams and files pass through untouched.
 */
export function responseCheck(registry: OpenApiRegistry, dir: string): RequestHandler {
  const checker = new ResponseChecker(registry);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.jsonl`);
  return (req, res, next) => {
    const method = req.method;
    const url = req.originalUrl;
    const reqPath = url.split('?')[0] ?? url;
    if (method === 'OPTIONS') return next();

    const chunks: Buffer[] = [];
    let size = 0;
    let keep: boolean | undefined;
    const collect = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      keep ??= isJson(baseType(res.getHeader('content-type')));
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk)
          : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += buf.length;
      if (keep && size <= MAX_BODY_BYTES) chunks.push(buf);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      collect(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      collect(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.on('finish', () => {
      try {
        const headers = res.getHeaders() as IncomingHttpHeaders as Record<string, unknown>;
        // Only a JSON body is kept; any other is known by its size alone.
        const json = keep ? Buffer.concat(chunks) : undefined;
        const result = checker.check({ method, path: reqPath, status: res.statusCode, headers, bodyBytes: size, json });
        if (!result || result.problems.length === 0) return;
        const line: ResponseMismatch = {
          method,
          path: result.template,
          url,
          status: res.statusCode,
          problems: result.problems,
        };
        appendFileSync(file, JSON.stringify(line) + '\n');
      } catch (err) {
        appendFileSync(
          file,
          JSON.stringify({
            method,
            path: reqPath,
            url,
            status: res.statusCode,
            problems: [`check failed: ${String(err)}`],
          }) + '\n',
        );
      }
    });
    next();
  };
}
