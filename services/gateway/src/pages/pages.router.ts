// The web pages of seed 002, served to browsers: every page path answers with the dashboard's HTML shell (a
// single-page app that then talks to the public /api/v1 like any client, signed in by its session cookie). What is
// decided here is only what must not wait for the page's script: sign-in first (a redirect that keeps where you were
// going), admins only on /admin, and a 404 for a batch that is not yours, so the status line tells the truth too.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuthMiddleware } from '../auth/auth.middleware';
import { findOwnedBatch } from '../batches/owned-batch';
import type { GatewayDeps } from '../deps';
import { NotFoundError } from '../errors';
import type { OperationSpec } from '../openapi/registry';
import type { ApiRouter } from '../http/api-router';
import type { DashboardAssets } from './dashboard-assets';
import { safeNext } from './safe-next';
import { uploadForm } from './upload-form';
import { wantsHtml } from './wants-html';

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
/** What a page path answers a client that does not ask for HTML (see wantsHtml): the JSON 404 of no route. */
const notAPage = {
  description: 'Not a request for a page (no `Accept: text/html`): no such route',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const PAGE =
  'A page of the web dashboard, for browsers (`Accept: text/html`): the app’s HTML shell, whose script then reads ' +
  'the API. Without a session cookie: a redirect to `/signin?next=<this page>`.';
const pageSpec = (summary: string, extra: OperationSpec['responses'] = {}): OperationSpec => ({
  summary,
  description: PAGE,
  tags: ['web pages'],
  access: 'public',
  responses: { 200: html('The page'), 303: { description: 'Sign in first' }, 404: notAPage, ...extra },
});

export function pagesRouter(deps: GatewayDeps, auth: AuthMiddleware, assets: DashboardAssets, api: ApiRouter): Router {
  const router = Router();
  const { openapi } = api;
  // Documented like every API route (a route can't exist undocumented), though mounted here: pages answer HTML.
  const get = (path: string, spec: OperationSpec, ...handlers: RequestHandler[]) => {
    openapi.add('get', path, spec);
    router.get(path, ...handlers);
  };

  const page = (res: Response, status = 200) => {
    const html = assets.shell();
    res.set('Cache-Control', 'no-store');
    if (html === undefined) {
      return void res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built: run `pnpm --filter @pixmill/dashboard build` (pnpm install does it).');
    }
    res.status(status).type('html').send(html);
  };

  // Pages answer browsers; an API client asking for JSON at the same path gets the JSON 404 (or its own route).
  const htmlOnly: RequestHandler = (req, _res, next) => (wantsHtml(req) ? next() : next('route'));
  const signedIn: RequestHandler = (req, res, next) => {
    if (req.auth?.session) return next();
    res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
  };
  const browser = [htmlOnly, auth.authenticate, signedIn];

  router.use(
    '/assets',
    express.static(assets.assetsDir, { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );

  get(
    '/signin',
    {
      ...pageSpec('Sign-in page'),
      description:
        'The sign-in form. A browser already signed in is sent on to `next` when it is a path of this site, else to `/`.',
      responses: { 200: html('The page'), 303: { description: 'Signed in already: on to `next`' }, 404: notAPage },
    },
    htmlOnly,
    auth.authenticate,
    (req, res) => {
      if (req.auth?.session) return res.redirect(303, safeNext(req.query.next));
      page(res);
    },
  );
  get('/', pageSpec('Dashboard: your batches with live progress'), ...browser, (_req, res) => page(res));
  get('/new', pageSpec('New batch form (posts to /upload)'), ...browser, (_req, res) => page(res));
  get('/system/status', pageSpec('System status page'), ...browser, (_req, res) => page(res));
  get('/admin', pageSpec('Administration page', { 403: html('Not an admin') }), ...browser, (req, res) =>
    page(res, req.auth?.role === 'admin' ? 200 : 403),
  );
  // Seed 000's JSON routes share these paths: their pages are added to those routes (content negotiation).
  api.page(
    'get',
    '/batch/:id',
    {
      description: PAGE,
      responses: {
        200: html('The batch page (`Accept: text/html`)'),
        303: { description: 'A browser without a session: sign in first' },
        404: html('No such batch of yours'),
      },
    },
    ...browser,
    async (req, res) => {
      try {
        await findOwnedBatch(deps.prisma, req.auth!, String(req.params.id));
        page(res);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        page(res, 404);
      }
    },
  );

  // Downloads by plain links: the same exports as the API's, which the session cookie authenticates.
  const toApi = (target: string) => (req: Request, res: Response) => {
    const query = req.originalUrl.indexOf('?');
    res.redirect(302, `${target}${query >= 0 ? req.originalUrl.slice(query) : ''}`);
  };
  const redirectSpec = (summary: string, target: string): OperationSpec => ({
    summary,
    description: `A redirect to \`${target}\` with the same query, which the session cookie (or any credentials) authenticates.`,
    tags: ['web pages'],
    access: 'public',
    responses: { 302: { description: `To ${target}` } },
  });
  get(
    '/export/batch/:id',
    redirectSpec('Download the export of a batch (from a page)', '/api/v1/export/batch/{id}'),
    (req, res) => toApi(`/api/v1/export/batch/${encodeURIComponent(String(req.params.id))}`)(req, res),
  );
  get(
    '/export/template',
    redirectSpec('Download the URL batch template (from a page)', '/api/v1/export/template'),
    toApi('/api/v1/export/template'),
  );

  api.page(
    'post',
    '/upload',
    {
      description:
        'From a browser (signed in by the session cookie, or asking for `text/html`) this is the new-batch form ' +
        'posted as a plain HTML form, its CSRF token in the `_csrf` query parameter; it answers with a redirect to ' +
        'the batch page, or a page with the refusal.',
      responses: {
        303: { description: 'The form: created, on to /batch/{id} (or to sign in)' },
        400: html('The form: refused, with the reason'),
        403: html('The form: no or wrong CSRF token'),
        413: html('The form: too large'),
      },
    },
    auth.authenticate,
    uploadForm(deps),
  );
  return router;
}
