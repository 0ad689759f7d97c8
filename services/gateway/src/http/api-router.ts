// Every route is registered through here: the Express route and its OpenAPI operation in one call, so a route
// can't exist undocumented, and `access` both documents and enforces who may call it. What the spec declares of the
// request (params, query, body) is parsed before the handlers, which get it typed in `req.valid`; what they answer
// with `res.json` under /api/v1 is wrapped in the success envelope here (http/envelope.middleware.ts).
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import {
  isEnveloped,
  type HttpMethod,
  type OpenApiRegistry,
  type OperationSpec,
  type ResponseSpec,
} from '../openapi/registry';
import { envelopeJson } from './envelope.middleware';
import { jsonBody } from './json-body.middleware';
import { takesNoBody, validateRequest, type Valid } from './request-validation';

export type Guards = { requireAuth: RequestHandler; requireAdmin: RequestHandler };

/** A request whose params, query and body were parsed with its route's schemas. */
export type ValidRequest<S extends OperationSpec> = Request & { valid: Valid<S> };

/** A handler of a route with spec `S`. Plain RequestHandlers (rate limiters...) fit too. */
export type RouteHandler<S extends OperationSpec> = (
  req: ValidRequest<S>,
  res: Response,
  next: NextFunction,
) => unknown;

type Register = <const S extends OperationSpec>(path: string, spec: S, ...handlers: RouteHandler<S>[]) => void;

export class ApiRouter {
  /** Mounted at the root of the app: routes use full paths, so the router stack is the route list. */
  readonly router = Router();
  readonly get: Register;
  readonly post: Register;
  readonly put: Register;
  readonly patch: Register;
  readonly delete: Register;

  /** Web pages at API routes' paths, by `METHOD path` (see `page`). */
  private readonly pages = new Map<string, Router>();

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

  /**
   * A web page at the path of an API route registered already, for the seeds that give one path to both (content
   * negotiation). Its handlers run first, before the route's auth guard (a page signs browsers in its own way): they
   * answer the requests that are the page's and call `next()` (or `next('route')`) for the rest, which the API
   * route answers. The page's answers are added to the route's OpenAPI operation.
   */
  page(
    method: HttpMethod,
    path: string,
    doc: { description: string; responses: Record<number, ResponseSpec> },
    ...handlers: RequestHandler[]
  ): void {
    this.openapi.addPage(method, path, doc);
    const page = Router();
    page[method](path, ...handlers);
    this.pages.set(`${method} ${path}`, page);
  }

  private method(method: HttpMethod): Register {
    return (path, spec, ...handlers) => {
      if (handlers.length === 0) throw new Error(`route ${method.toUpperCase()} ${path} has no handler`);
      this.openapi.add(method, path, spec, { validated: true });
      // Auth before body parsing, so an anonymous client can't make us parse large bodies.
      const { requireAuth, requireAdmin } = this.guards;
      const signedLink = spec.signedLink;
      const userGuard: RequestHandler = signedLink
        ? (req, res, next) => (signedLink(req) ? next() : requireAuth(req, res, next))
        : requireAuth;
      const guard = spec.access === 'admin' ? [requireAuth, requireAdmin] : spec.access === 'user' ? [userGuard] : [];
      // A route that takes no body still reads a JSON one, to refuse any field in it.
      const body = spec.body || takesNoBody(method, spec) ? jsonBody(spec.jsonLimit) : [];
      const page: RequestHandler = (req, res, next) => {
        const handle = this.pages.get(`${method} ${path}`);
        return handle ? handle(req, res, next) : next();
      };
      this.router[method](
        path,
        page,
        ...(isEnveloped(path, spec) ? [envelopeJson()] : []),
        ...guard,
        ...body,
        validateRequest(method, path, spec),
        ...(handlers as unknown as RequestHandler[]),
      );
    };
  }
}
