// Serves `GET /files/<key>?exp&sig[&name][&type]` for the local-disk backend (mounted by the gateway).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errorBody } from '@pixmill/contracts';
import { DownloadSignatureError } from './download-signature';
import { contentDisposition } from './http-headers';
import type { LocalObjectStore } from './local.store';
import { ObjectNotFoundError } from './object-store';

/**
 * Checks the signature, then streams the file with Content-Type, Content-Length and (when the link names a file)
 * Content-Disposition. 403 for a bad or expired link, 404 for a missing object, both as the error body of every pixmill route (@pixmill/contracts' errorBody).
 * Works as a plain node:http handler and as an Express 5 route: `app.get('/files/*key', (req, res) => serveLocalDownload(store, req, res))`.
 */
export async function serveLocalDownload(
  store: LocalObjectStore,
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
): Promise<void> {
  // originalUrl: Express strips the mount path from req.url. The path is taken as sent, not resolved the way
  // new URL() would: a '..' or '%2e' segment is refused rather than quietly turned into another path.
  const requestTarget = req.originalUrl ?? req.url ?? '/';
  const q = requestTarget.indexOf('?');
  const pathname = q === -1 ? requestTarget : requestTarget.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : requestTarget.slice(q + 1));
  let target;
  try {
    target = store.resolveSignedDownload(pathname, queryRecord(query));
  } catch (err) {
    if (!(err instanceof DownloadSignatureError)) throw err;
    const code = err.reason === 'expired' ? 'link_expired' : 'invalid_signature';
    return sendError(res, 403, code, err.message);
  }

  let object;
  try {
    object = await store.open(target.key);
  } catch (err) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
    return sendError(res, 404, 'not_found', 'the file no longer exists');
  }

  res.statusCode = 200;
  res.setHeader('Content-Type', target.contentType ?? object.contentType ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(object.bytes));
  if (target.filename !== undefined) res.setHeader('Content-Disposition', contentDisposition(target.filename));
  // Stored files come from strangers: never let a browser sniff or run them as a page of the gateway's origin.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', 'sandbox');
  if (req.method === 'HEAD') {
    object.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(object.body, res);
  } catch {
    // The client went away or the disk failed mid-stream; headers are sent, so closing the response is all we can do.
  }
}

/** Repeated parameters become arrays, which resolveSignedDownload refuses rather than guessing which one is meant. */
function queryRecord(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : ([] as unknown[]).concat(prev, v);
  }
  return out;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}
