// Which paths spend the general API budget (app.ts mounts the limiter on them; the OpenAPI document declares their
// 429): the API, seed 000's routes outside /api (`POST /upload`, `GET /batch/{id}`...), pages at those paths too, and
// seed 002's admin routes at the root (the /admin page itself is a page, not the API).
export const API_BUDGET_PATHS = ['/api', '/upload', '/batch', '/admin/queue', '/admin/batch'] as const;

/** Whether a route path (Express or OpenAPI form) is under one of API_BUDGET_PATHS. */
export const spendsApiBudget = (path: string): boolean =>
  API_BUDGET_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
