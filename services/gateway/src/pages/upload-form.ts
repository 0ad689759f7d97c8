// POST /upload from a browser: the new-batch form posted as a plain HTML form (multipart: `files[]` images or a `file`
// CSV, `batch_name`, `recipe`, `webhook_url`, `auto_start`), signed in by the session cookie with the CSRF token in
// `_csrf` (a form can't set headers). Creates the batch exactly as POST /api/v1/batches does and answers with a
// redirect to its page; a refusal answers a small page with the API's message. A request is the form's when it comes
// with the session cookie (unless it asks for JSON) or asks for HTML; the rest are API clients of seed 000's upload
// route, which answers them JSON.
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { checkCsrf } from '../auth/csrf';
import { batchUploadFields } from '../batches/batch-options';
import { createFromMultipart } from '../batches/url-intake/receive-batch';
import type { GatewayDeps } from '../deps';
import { HttpError } from '../errors';
import { escapeHtml } from './escape-html';
import { asksForJson, wantsHtml } from './wants-html';

function refusal(res: Response, status: number, message: string) {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>Upload refused · pixmill</title></head><body><main><h1>The upload was refused</h1>` +
        `<p role="alert">${escapeHtml(message)}</p><p><a href="/new">Back to the new batch form</a></p></main></body></html>`,
    );
}

export function uploadForm(deps: GatewayDeps): RequestHandler {
  return async (req, res, next) => {
    const session = req.auth?.session;
    if (session ? asksForJson(req) : !wantsHtml(req)) return next();
    if (!req.auth) return res.redirect(303, `/signin?next=${encodeURIComponent('/new')}`);
    try {
      if (session) checkCsrf(req, session.csrfToken);
      if (!req.is('multipart/form-data')) return refusal(res, 400, 'send the form as multipart/form-data');
      const result = await createFromMultipart(deps, req, res, {
        ownerId: req.auth!.userId,
        ...batchUploadFields,
      });
      res.redirect(303, `/batch/${result.batch.id}`);
    } catch (err) {
      if (err instanceof HttpError) return refusal(res, err.status, err.message);
      if (err instanceof z.core.$ZodError) {
        return refusal(res, 400, err.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
      }
      throw err;
    }
  };
}
