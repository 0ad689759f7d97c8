// @pixmill/gateway: the HTTP API as an app to compose (main.ts runs it alone; the all-in-one process embeds it).
export { createApp, type GatewayDeps, type GatewayOptions } from './app';
export { runHousekeeping, startHousekeeping, type HousekeepingDeps } from './admin/housekeeping';
export { ensureAdmin, resolveJwtSecret } from './auth/bootstrap';
export { createRateLimitStores, type RateLimitStores } from './http/rate-limit-store';
export { routeModules, type RouteContext, type RouteModule } from './routes';
export { serveGateway, type ServedGateway } from './serve';
export * from './errors';
