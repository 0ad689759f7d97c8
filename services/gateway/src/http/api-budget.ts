// Which paths spend the general API budget (app.ts mounts the limiter on them; the OpenAPI document declares their
// 429): the API, and seed 000's routes outside /api (`POST /upload`, `GET /batch/{id}`...), pages at those paths too.
export const API_BUDGET_PATHS = ['/api', '/upload', '/batch'] as const;

/** Whether a route path (Express or OpenAPI form) is under one of API_BUDGET_PATHS. */
export const spendsApiBudget = (path: string): boolean =>
  API_BUDGET_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
