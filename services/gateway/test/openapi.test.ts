import type { Express } from 'express';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { toOpenApiPath } from '../src/openapi/registry';
import { startGateway, type TestGateway } from './support';

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
