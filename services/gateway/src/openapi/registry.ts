// Collects one OpenAPI operation per route as routers register them (see http/api-router.ts), and renders the
// OpenAPI 3.1 document. JSON schemas come from the same zod schemas the handlers parse with, so they can't drift.
import { z } from 'zod';
import { ErrorBodySchema, successEnvelopeSchema } from '@pixmill/contracts';
import { spendsApiBudget } from '../http/api-budget';
import { commonHeaders, headerComponents } from './common-headers';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route. `user` and `admin` routes get the auth guards and the 401/403 answers automatically. */
export type Access = 'public' | 'user' | 'admin';

export type JsonObject = Record<string, unknown>;

export type ResponseSpec = {
  description: string;
  /** JSON body of the answer. */
  schema?: z.ZodType;
  /** Any other media types, as OpenAPI media type objects (e.g. `{ 'text/csv': { schema: { type: 'string' } } }`). */
  content?: Record<string, JsonObject>;
  headers?: Record<string, JsonObject>;
};

export type OperationSpec = {
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  /** JSON request body: the route gets a JSON parser (size and depth capped) and the schema is documented. */
  body?: z.ZodType;
  /** Largest JSON body in bytes (default 1 MB). */
  jsonLimit?: number;
  /**
   * A multipart/form-data body: its text fields (a zod object, so unknown ones are refused) and its file fields. The
   * route streams it itself and parses the text fields with `fields` (http/request-validation.ts `parseDeclared`).
   */
  multipart?: MultipartSpec;
  /** Any other request body, documented as given; the route brings its own parser. */
  requestBody?: JsonObject;
  query?: z.ZodObject;
  /** Request headers the route reads (e.g. `Idempotency-Key`), by their names; others are the app's business. */
  headers?: z.ZodObject;
  /** Schemas of path parameters; parameters without one are documented as strings. */
  params?: z.ZodObject;
  responses: Record<number, ResponseSpec>;
  /**
   * For `access: 'user'` routes that may also be opened by a signed link (e.g. a webhook's results URL): when this
   * answers true the request carries its own proof and needs no credentials; the handler then finds no `req.auth`.
   */
  signedLink?: (req: import('express').Request) => boolean;
  /**
   * Whether the route's JSON successes are wrapped in the envelope `{ success, data, message?, timestamp }`
   * (http/envelope.middleware.ts; documented so here). Default: routes under /api/v1. Files and streams are never
   * wrapped, as they are not sent with `res.json`.
   */
  envelope?: boolean;
  /** Kept for older clients; a newer route does the same. */
  deprecated?: boolean;
  operationId?: string;
};

export type MultipartSpec = {
  fields: z.ZodObject;
  /** File fields by name; `multiple` takes several files. Names listed in `aliases` are taken the same way. */
  files: Record<string, { description: string; multiple?: boolean; required?: boolean; aliases?: string[] }>;
};

/** Every form field name a multipart spec takes for files (aliases included). */
export const fileFieldNames = (m: MultipartSpec, which?: (name: string) => boolean): string[] =>
  Object.entries(m.files)
    .filter(([name]) => !which || which(name))
    .flatMap(([name, f]) => [name, ...(f.aliases ?? [])]);

function multipartSchema(m: MultipartSpec): JsonObject {
  const fields = jsonSchema(m.fields, 'input') as { properties?: JsonObject; required?: string[] };
  const files: JsonObject = {};
  for (const [name, f] of Object.entries(m.files)) {
    const file = { type: 'string', format: 'binary' };
    const aka = f.aliases?.length ? ` (also taken as ${f.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
    files[name] = f.multiple
      ? { type: 'array', items: file, description: f.description + aka }
      : { ...file, description: f.description + aka };
  }
  const required = [
    ...Object.entries(m.files)
      .filter(([, f]) => f.required)
      .map(([name]) => name),
    ...(fields.required ?? []),
  ];
  return {
    type: 'object',
    properties: { ...files, ...fields.properties },
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };
}

export type RegisteredOperation = {
  method: HttpMethod;
  path: string;
  spec: OperationSpec;
  /** Registered by the ApiRouter, which parses the request with the spec: any undeclared parameter is a 400. */
  validated: boolean;
};

/** `/api/v1/api-keys/:id` → `/api/v1/api-keys/{id}`; a wildcard `/files/*key` → `/files/{key}`. */
export const toOpenApiPath = (expressPath: string): string =>
  expressPath.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

const pathParams = (expressPath: string): string[] =>
  [...expressPath.matchAll(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonObject;
  return rest;
}

/** Whether a route's JSON successes are sent in the envelope (see OperationSpec.envelope). */
export const isEnveloped = (path: string, spec: OperationSpec): boolean => spec.envelope ?? path.startsWith('/api/v1/');

const isRedirect = (status: number) => status >= 300 && status < 400 && status !== 304;
const redirectContent = {
  'text/plain': { schema: { type: 'string' } },
  'text/html': { schema: { type: 'string' } },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export class OpenApiRegistry {
  private readonly ops: RegisteredOperation[] = [];

  add(method: HttpMethod, path: string, spec: OperationSpec, o: { validated?: boolean } = {}): void {
    if (this.ops.some((op) => op.method === method && op.path === path)) {
      throw new Error(`route ${method.toUpperCase()} ${path} registered twice`);
    }
    this.ops.push({ method, path, spec, validated: o.validated ?? false });
  }

  /**
   * Adds the answers of a web page served at an operation's path by content negotiation (http/api-router.ts `page`)
   * to that operation: one operation per path, each status listing the JSON and the HTML it may be.
   */
  addPage(method: HttpMethod, path: string, page: { description: string; responses: Record<number, ResponseSpec> }) {
    const op = this.ops.find((o) => o.method === method && o.path === path);
    if (!op) throw new Error(`page for ${method.toUpperCase()} ${path}: register its API route first`);
    const responses: Record<number, ResponseSpec> = { ...op.spec.responses };
    for (const [key, p] of Object.entries(page.responses)) {
      const status = Number(key);
      const r = responses[status];
      // An API error answer without a body of its own is the shared error shape; it stays beside the page's.
      const apiError: Record<string, JsonObject> =
        r && status >= 400 && !r.schema && !r.content
          ? { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
          : {};
      responses[status] = r
        ? {
            ...r,
            description: `${r.description}. A page: ${p.description}`,
            content: { ...apiError, ...r.content, ...p.content },
          }
        : p;
    }
    op.spec = {
      ...op.spec,
      description: `${op.spec.description ?? ''}\n\n${page.description}`.trim(),
      responses,
    };
  }

  get operations(): readonly RegisteredOperation[] {
    return this.ops;
  }

  document(info: {
    title: string;
    version: string;
    description?: string;
    serverUrl?: string;
    license?: { name: string; identifier: string };
  }): JsonObject {
    const paths: Record<string, Record<string, JsonObject>> = {};
    for (const op of this.ops) {
      (paths[toOpenApiPath(op.path)] ??= {})[op.method] = this.operation(op);
    }
    return {
      openapi: '3.1.0',
      info: {
        title: info.title,
        version: info.version,
        ...(info.description ? { description: info.description } : {}),
        ...(info.license ? { license: info.license } : {}),
      },
      ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
      paths,
      components: {
        schemas: { Error: jsonSchema(ErrorBodySchema, 'output') },
        headers: headerComponents,
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A login token (JWT from POST /api/v1/auth/login) or an API key (pmk_...).',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (pmk_...).' },
        },
      },
    };
  }

  private operation({ method, path, spec, validated }: RegisteredOperation): JsonObject {
    const paramShape = spec.params?.shape ?? {};
    const parameters: JsonObject[] = pathParams(path).map((name) => {
      const schema = paramShape[name] as z.ZodType | undefined;
      return { name, in: 'path', required: true, schema: schema ? jsonSchema(schema, 'input') : { type: 'string' } };
    });
    for (const [name, field] of Object.entries(spec.query?.shape ?? {})) {
      const schema = field as z.ZodType;
      parameters.push({
        name,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        schema: jsonSchema(schema, 'input'),
        ...(schema.description ? { description: schema.description } : {}),
      });
    }

    for (const [name, field] of Object.entries(spec.headers?.shape ?? {})) {
      const schema = field as z.ZodType;
      parameters.push({
        name,
        in: 'header',
        required: !schema.safeParse(undefined).success,
        schema: jsonSchema(schema, 'input'),
        ...(schema.description ? { description: schema.description } : {}),
      });
    }

    const responses: Record<string, JsonObject> = {};
    const enveloped = isEnveloped(path, spec);
    for (const [status, r] of Object.entries(spec.responses)) {
      const content: Record<string, JsonObject> = { ...r.content };
      const error = Number(status) >= 400;
      // A route declares the data it answers; the envelope around it is the router's (http/envelope.middleware.ts).
      if (r.schema)
        content['application/json'] = {
          schema: jsonSchema(enveloped && !error ? successEnvelopeSchema(r.schema) : r.schema, 'output'),
        };
      // Error answers all share one shape (http/error.middleware.ts).
      else if (error && !r.content) content['application/json'] = { schema: { $ref: '#/components/schemas/Error' } };
      // A redirect carries the short note Express writes (text or HTML, as the client accepts).
      if (isRedirect(Number(status)) && !r.content) Object.assign(content, redirectContent);
      responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
      if (r.headers) responses[status].headers = r.headers;
    }
    // The answers every route of a kind can give, so each route need not repeat them.
    if (validated || spec.body || spec.query || spec.params || spec.headers || spec.requestBody || spec.multipart)
      responses['400'] ??= errorResponse(
        'Invalid request: a parameter, field or body it does not take, or a malformed one',
      );
    if (spec.access !== 'public') responses['401'] ??= errorResponse('Missing, invalid or expired credentials');
    if (spec.access === 'admin') responses['403'] ??= errorResponse('Only for admins');
    if (spec.access !== 'public' && method !== 'get')
      responses['403'] ??= errorResponse(
        'Sent with a session cookie but without its CSRF token (X-CSRF-Token): a signed-in browser must prove the page is ours',
      );
    const takesBody = spec.body || spec.multipart || spec.requestBody;
    if (takesBody) responses['413'] ??= errorResponse('Request body too large');
    if (takesBody) responses['415'] ??= errorResponse('A body of a media type this route does not take');
    if (spendsApiBudget(path)) responses['429'] ??= errorResponse('Rate limit exceeded; see Retry-After');
    for (const [status, r] of Object.entries(responses)) {
      const headers = {
        ...commonHeaders(method, path, Number(status), r.content !== undefined),
        ...(r.headers as object),
      };
      if (Object.keys(headers).length) r.headers = headers;
    }

    const content: JsonObject = {
      ...(spec.multipart ? { 'multipart/form-data': { schema: multipartSchema(spec.multipart) } } : {}),
      ...(spec.body ? { 'application/json': { schema: jsonSchema(spec.body, 'input') } } : {}),
    };
    const requestBody = spec.requestBody ?? (Object.keys(content).length ? { required: true, content } : undefined);

    return {
      operationId: spec.operationId ?? operationId(method, path),
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      ...(spec.deprecated ? { deprecated: true } : {}),
      ...(spec.access === 'public' ? { security: [] } : { security: [{ bearer: [] }, { apiKey: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
}

/** `post /api/v1/api-keys/:id` → `postApiV1ApiKeysById`: stable and unique per method and path. */
function operationId(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `by-${seg.slice(1)}` : seg))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
