// The request side of a route's spec: path params, query and JSON body are parsed with the zod schemas the route
// declares (the same ones its OpenAPI operation is rendered from) before its handlers run, and the handlers get the
// parsed values in `req.valid`. A field the route does not declare is refused, never ignored: a client that sends
// `limit` to a route that takes `per_page` must hear so, not get a default-sized page.
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { NotFoundError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { HttpMethod, OperationSpec } from '../openapi/registry';

/** Where a field was sent: what the error says, and what `details.in` holds. */
export type FieldPlace = 'query' | 'body' | 'form';

const placeName: Record<FieldPlace, string> = {
  query: 'query parameter',
  body: 'body field',
  form: 'form field',
};

/**
 * A `z.object` refuses keys it does not declare. An object the route made `.loose()` (or gave a catchall) keeps its
 * choice: it takes extra keys on purpose. Nested objects are the schema's own business (`z.strictObject`).
 */
export function strictly<T extends z.ZodType>(schema: T): T {
  if (schema instanceof z.ZodObject && schema._zod.def.catchall === undefined) return schema.strict() as unknown as T;
  return schema;
}

/** The keys an object schema takes at `path` (through optional, default and nullable wrappers), if it is one. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s: z.ZodType | undefined = schema;
  const unwrap = () => {
    while (s && (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable))
      s = s._zod.def.innerType as z.ZodType;
  };
  unwrap();
  for (const key of path) {
    if (!(s instanceof z.ZodObject)) return undefined;
    s = (s.shape as Record<string, z.ZodType>)[String(key)];
    unwrap();
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : undefined;
}

/**
 * Parses `value` with `schema` (made strict, see `strictly`). Unknown keys are one 400 `unknown_field` that names
 * every one of them and lists what the route takes there; any other mismatch is the ZodError itself, which the error
 * middleware answers as a 400 `validation_error` with its issues.
 */
export function parseDeclared<T extends z.ZodType>(
  place: FieldPlace,
  schema: T,
  value: unknown,
  route?: string,
): z.output<T> {
  const parsed = strictly(schema).safeParse(value);
  if (parsed.success) return parsed.data;
  const unknownKeys = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknownKeys.length === 0) throw parsed.error;
  const unknown = unknownKeys.flatMap((i) => i.keys.map((k) => [...i.path.map(String), k].join('.')));
  // The allowed keys of the object the first unknown key was sent in (the top level, for most routes).
  const allowed = keysAt(schema, unknownKeys[0]!.path) ?? [];
  const what = placeName[place] + (unknown.length > 1 ? 's' : '');
  const takes = allowed.length
    ? `takes: ${allowed.join(', ')}`
    : `takes no ${placeName[place]}s${unknownKeys[0]!.path.length ? ' there' : ''}`;
  throw new ValidationError(
    `unknown ${what} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ${route ?? 'this route'} ${takes}`,
    { in: place, unknown, allowed },
    'unknown_field',
  );
}

/** A route without a query schema takes no query parameters at all; one without a body schema, no body fields. */
const Nothing = z.object({});

/** A route that changes something without declaring a body (or multipart): a JSON body sent to it must be empty. */
export const takesNoBody = (method: HttpMethod, spec: OperationSpec): boolean =>
  method !== 'get' && !spec.body && !spec.multipart && !spec.requestBody;

/** The parsed parts of a request, as its route declared them. */
export type Valid<S extends OperationSpec> = {
  params: S extends { params: infer P extends z.ZodType } ? z.output<P> : Record<string, string>;
  query: S extends { query: infer Q extends z.ZodType } ? z.output<Q> : Record<string, never>;
  /** The request headers the route declares, parsed (absent ones undefined). */
  headers: S extends { headers: infer H extends z.ZodType } ? z.output<H> : Record<string, never>;
  /** The parsed JSON body; undefined when a route that also takes multipart was sent multipart. */
  body: S extends { body: infer B extends z.ZodType }
    ? S extends { multipart: object }
      ? z.output<B> | undefined
      : z.output<B>
    : undefined;
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the ApiRouter from the route's spec; typed in route handlers (`ValidRequest`, http/api-router.ts). */
      valid?: unknown;
    }
  }
}

/** Whether a request carries a body at all (RFC 9110: a Content-Length other than 0, or Transfer-Encoding). */
const hasBody = (headers: { 'content-length'?: string; 'transfer-encoding'?: string }) =>
  headers['transfer-encoding'] !== undefined ||
  (headers['content-length'] !== undefined && headers['content-length'] !== '0');

/** The middleware that parses params, query and JSON body of a request to `method path` before its handlers. */
export function validateRequest(method: HttpMethod, path: string, spec: OperationSpec): RequestHandler {
  const route = `${method.toUpperCase()} ${path}`;
  const query = spec.query ?? Nothing;
  const bodySchema = spec.body ?? (takesNoBody(method, spec) ? Nothing : undefined);
  return (req, _res, next) => {
    const params = spec.params?.safeParse(req.params);
    // A path that names nothing this route knows (a malformed id) is "not found", as a well-formed unknown id is.
    if (params && !params.success) {
      const names = [...new Set(params.error.issues.map((i) => String(i.path[0] ?? 'path')))];
      return next(new NotFoundError(`no such ${names.join(', ')}`, { params: names }));
    }
    // The query first: a JSON route sent no body and an unknown parameter hears about the parameter.
    const parsedQuery = parseDeclared('query', query, req.query, route);
    // Only the headers the route declares are read; any other header is allowed (browsers and proxies add many).
    const headers = spec.headers
      ? spec.headers.parse(Object.fromEntries(Object.keys(spec.headers.shape).map((h) => [h, req.get(h)])))
      : {};
    let body: unknown;
    if (bodySchema) {
      if (req.is('application/json')) body = parseDeclared('body', bodySchema, req.body, route);
      else if (!hasBody(req.headers)) body = parseDeclared('body', bodySchema, {}, route);
      else if (!spec.multipart || !req.is('multipart/form-data'))
        return next(
          new UnsupportedMediaTypeError(
            `send the body as application/json${spec.multipart ? ' or multipart/form-data' : ''}`,
            { content_type: req.get('Content-Type') ?? null },
          ),
        );
    }
    req.valid = {
      params: params ? params.data : req.params,
      query: parsedQuery,
      headers,
      body: spec.body ? body : undefined,
    };
    next();
  };
}
