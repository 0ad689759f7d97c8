// Security headers of every answer (helmet), with a Content-Security-Policy for the dashboard: scripts only from
// pixmill itself (no inline scripts, no CDN), no framing by anyone, forms only to pixmill, and images from pixmill and
// from the storage that signed download URLs point at (a browser shows output thumbnails straight from there).
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { publicUrl, type Settings } from '@pixmill/config';

const originOf = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** Where output images are served from, besides this origin: the public URL (signed /files/ links) and S3. */
export function imageOrigins(settings: Settings): string[] {
  const origins = [originOf(publicUrl(settings)), originOf(settings.S3_ENDPOINT)];
  if (settings.S3_BUCKET && !settings.S3_ENDPOINT) origins.push('https://*.amazonaws.com');
  return [...new Set(origins.filter((o): o is string => o !== undefined))];
}

export function securityHeaders(settings: Settings): RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Inline style attributes only (the API docs page has a style block); no script can come in this way.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...imageOrigins(settings)],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
  });
  // Signed download links carry their own proof and may be shown by a page on another origin (the dashboard opened
  // as 127.0.0.1 while PUBLIC_URL says localhost); everything else stays same-origin only.
  const signedFiles: RequestHandler = (req, res, next) => {
    if (req.path.startsWith('/files/')) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  };
  return [headers, signedFiles];
}
