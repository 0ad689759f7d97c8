// Content negotiation between a page and the API at one path: what a request asks for.
import type { Request } from 'express';

/** Asks for HTML over JSON (a browser's navigation does; no Accept, or `*\/*` alone, is JSON). */
export const wantsHtml = (req: Request): boolean => req.accepts(['json', 'html']) === 'html';

/** Asks for JSON over HTML, saying so (an Accept header without HTML before JSON). */
export const asksForJson = (req: Request): boolean =>
  req.get('Accept') !== undefined && req.accepts(['html', 'json']) === 'json';
