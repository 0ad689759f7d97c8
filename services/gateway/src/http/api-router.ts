// Every route is registered through here: the Express route and its OpenAPI operation in one call, so a route
// can't exist undocumented, and `access` both documents and enforces who may call it.
import { Router, type RequestHandler } from 'express';
import type { HttpMethod, OpenApiRegistry, OperationSpec } from '../openapi/registry';
import { jsonBody } from './json-body.middleware';

export type Guards = { requireAuth: RequestHandler; requireAdmin: RequestHandler };

type Register = (path: string, spec: OperationSpec, ...handlers: RequestHandler[]) => void;

export class ApiRouter {
  /** Mounted at the root of the app: routes use full paths, so the router stack is the route list. */
  readonly router = Router();
  readonly get: Register;
  readonly post: Register;
  readonly put: Register;
  readonly patch: Register;
  readonly delete: Register;

  constructor(
    readonly openapi: OpenApiRegistry,
    private readonly guards: Guards,
  ) {
    this.get = this.method('get');
    this.post = this.method('post');
    this.put = this.method('put');
    this.patch = this.method('patch');
    this.delete = this.method('delete');
  }

  private method(method: HttpMethod): Register {
    return (path, spec, ...handlers) => {
      if (handlers.length === 0) throw new Error(`route ${method.toUpperCase()} ${path} has no handler`);
      this.openapi.add(method, path, spec);
      // Auth before body parsing, so an anonymous client can't make us parse large bodies.
      const { requireAuth, requireAdmin } = this.guards;
      const signedLink = spec.signedLink;
      const userGuard: RequestHandler = signedLink
        ? (req, res, next) => (signedLink(req) ? next() : requireAuth(req, res, next))
        : requireAuth;
      const guard = spec.access === 'admin' ? [requireAuth, requireAdmin] : spec.access === 'user' ? [userGuard] : [];
      const body = spec.body ? jsonBody(spec.jsonLimit) : [];
      this.router[method](path, ...guard, ...body, ...handlers);
    };
  }
}
