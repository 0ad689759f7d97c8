import type { Express } from 'express';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { toOpenApiPath } from '../src/openapi/registry';
import { dataOf, errorOf, startGateway, type TestGateway } from './support';

type Layer = { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every route Express would dispatch, read from the router stack itself (not from our registry). */
function mountedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push(`${method} ${toOpenApiPath(String(layer.route.path))}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

describe('OpenAPI document', () => {
  let gw: TestGateway;
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; operationId: string }>> };

  beforeAll(async () => {
    gw = await startGateway();
    doc = (await request(gw.app).get('/api/v1/openapi.json').expect(200).expect('Content-Type', /json/)).body;
  });
  afterAll(() => gw?.close());

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();

  it('documents exactly the routes that are mounted', () => {
    const mounted = mountedRoutes(gw.app);
    // The walk must see the real routes, or the comparison proves nothing.
    expect(mounted).toEqual(
      expect.arrayContaining([
        'post /api/v1/auth/login',
        'post /api/auth/login',
        'delete /api/v1/api-keys/{id}',
        'get /metrics',
        'get /docs',
      ]),
    );
    expect(documented()).toEqual(mounted);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('validates against the OpenAPI 3.1 schema', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('gives every operation a unique id', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses anonymous callers on every route it documents as authenticated', async () => {
    const guarded = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length !== 0)
        .map(([method]) => [method, path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')] as const),
    );
    expect(guarded.length).toBeGreaterThanOrEqual(5);
    for (const [method, path] of guarded) {
      const res = await request(gw.app)[method as 'get'](path);
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });

  type Schema = {
    type?: string;
    required?: string[];
    properties?: Record<string, Schema>;
    $ref?: string;
    const?: unknown;
  };
  const jsonOf = (path: string, method: string, status: number) =>
    (
      doc.paths[path]?.[method] as unknown as {
        responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
      }
    ).responses[String(status)]?.content?.['application/json']?.schema;

  it('documents /api/v1 JSON answers in the envelope, around the data schema the route declares', () => {
    const me = jsonOf('/api/v1/me', 'get', 200)!;
    expect(me.required).toEqual(['success', 'data', 'timestamp']);
    expect(me.properties?.success).toMatchObject({ type: 'boolean', const: true });
    expect(Object.keys(me.properties ?? {})).toEqual(['success', 'data', 'message', 'timestamp']);
    expect(me.properties?.data?.properties).toHaveProperty('username');
    // Probes, the document itself and the short forms of the other seeds answer flat.
    expect(Object.keys(jsonOf('/livez', 'get', 200)?.properties ?? {})).toEqual(['status']);
    expect(Object.keys(jsonOf('/healthz', 'get', 200)?.properties ?? {})).toEqual(['status', 'checks']);
    expect(Object.keys(jsonOf('/readyz', 'get', 503)?.properties ?? {})).toEqual(['status', 'checks']);
    expect(jsonOf('/api/auth/login', 'post', 200)?.properties).toHaveProperty('access_token');
    expect(doc.paths['/api/v1/openapi.json']?.get).toBeDefined();
  });

  it('documents every error answer with the one error schema', () => {
    const error = (doc as unknown as { components: { schemas: { Error: Schema } } }).components.schemas.Error;
    expect(error.required).toEqual(['success', 'error', 'code', 'details', 'timestamp']);
    expect(error.properties?.success).toMatchObject({ const: false });
    expect(error.properties?.error?.type).toBe('string');
    expect(error.properties?.code?.type).toBe('string');
    expect(error.properties).toHaveProperty('details');
    expect(jsonOf('/api/v1/me', 'get', 401)).toEqual({ $ref: '#/components/schemas/Error' });
    expect(jsonOf('/api/v1/health', 'get', 503)).toEqual({ $ref: '#/components/schemas/Error' });
    expect(jsonOf('/api/auth/login', 'post', 401)).toEqual({ $ref: '#/components/schemas/Error' });
  });

  it('answers as it documents: the envelope under /api/v1, the error shape everywhere, flat elsewhere', async () => {
    const user = await gw.createUser();
    const me = await request(gw.app).get('/api/v1/me').set('Authorization', `Bearer ${user.token}`).expect(200);
    expect(me.body).toEqual({
      success: true,
      data: expect.objectContaining({ id: user.id, username: user.username }),
      timestamp: expect.any(String),
    });
    expect(new Date(me.body.timestamp).toISOString()).toBe(me.body.timestamp);
    expect(dataOf(me).id).toBe(user.id);
    for (const path of ['/api/v1/me', '/api/v1/no-such-route', '/no-such-page.json']) {
      const e = errorOf(await request(gw.app).get(path).set('Accept', 'application/json'));
      expect(typeof e.error).toBe('string');
    }
    expect((await request(gw.app).get('/livez').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('documents request bodies from the same schemas the handlers use', () => {
    const login = doc.paths['/api/v1/auth/login']?.post as unknown as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
    };
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
  });

  it('documents a path the API and a web page share as one operation with both answers', () => {
    type Op = { responses: Record<string, { content?: Record<string, unknown> }> };
    const batch = doc.paths['/batch/{id}']?.get as unknown as Op;
    expect(Object.keys(batch.responses['200']!.content!).sort()).toEqual(['application/json', 'text/html']);
    expect(Object.keys(batch.responses['404']!.content!).sort()).toEqual(['application/json', 'text/html']);
    const upload = doc.paths['/upload']?.post as unknown as Op;
    expect(Object.keys(upload.responses).sort()).toEqual(expect.arrayContaining(['201', '303', '400', '401', '413']));
    expect(Object.keys(upload.responses['400']!.content!).sort()).toEqual(['application/json', 'text/html']);
  });

  it('serves a readable docs page without scripts', async () => {
    const res = await request(gw.app).get('/docs').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('/api/v1/api-keys/{id}');
    expect(res.text).toContain('Log in with username and password');
    expect(res.text).not.toContain('<script');
  });
});
