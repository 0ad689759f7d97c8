// The gateway's Express app, without listening: main.ts, the all-in-one process and tests all drive this.
import express from 'express';
import { createAuthMiddleware } from './auth/auth.middleware';
import { createPasswordWork } from './auth/password-work';
import { sessionTimes } from './auth/sessions';
import type { GatewayDeps } from './deps';
import { API_BUDGET_PATHS } from './http/api-budget';
import { ApiRouter } from './http/api-router';
import { corsMiddleware } from './http/cors.middleware';
import { errorMiddleware, notFoundMiddleware } from './http/error.middleware';
import { httpMetrics } from './http/metrics.middleware';
import { apiRateLimit } from './http/rate-limit.middleware';
import { requestLogger } from './http/request-logger.middleware';
import { securityHeaders } from './http/security-headers';
import { OpenApiRegistry } from './openapi/registry';
import { responseCheck } from './openapi/response-check';
import { dashboardAssets, type DashboardAssets } from './pages/dashboard-assets';
import { pagesRouter } from './pages/pages.router';
import { routeModules, type RouteModule } from './routes';

export type { GatewayDeps } from './deps';

export type GatewayOptions = {
  /** Instead of the TRUST_PROXY setting (off by default, so X-Forwarded-For can't be forged to dodge rate limits). */
  trustProxy?: boolean | number | string;
  /** Routers to mount instead of routes/index.ts's list (tests add one, e.g. `[...routeModules, extra]`). */
  routes?: RouteModule[];
  /** The dashboard's built files (default: packages/dashboard/dist). */
  dashboard?: DashboardAssets;
};

export function createApp(given: GatewayDeps, options: GatewayOptions = {}): express.Express {
  const deps = {
    ...given,
    passwordWork:
      given.passwordWork ??
      createPasswordWork({
        concurrency: given.settings.PASSWORD_HASH_CONCURRENCY,
        maxWaitMs: given.settings.PASSWORD_HASH_WAIT_MS,
      }),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? deps.settings.TRUST_PROXY);

  const openapi = new OpenApiRegistry();
  // First, so it sees every answer, whichever middleware sends it.
  if (deps.settings.RESPONSE_CHECK_DIR) app.use(responseCheck(openapi, deps.settings.RESPONSE_CHECK_DIR));

  app.use(requestLogger(deps.log));
  app.use(httpMetrics(deps.registry));
  app.use(securityHeaders(deps.settings));
  // Before auth and rate limits: a preflight carries no credentials and must not be refused for lacking them.
  app.use(corsMiddleware(deps.settings));

  const auth = createAuthMiddleware({
    db: deps.prisma,
    jwtSecret: deps.jwtSecret,
    sessions: sessionTimes(deps.settings),
  });
  // Identify the caller first, so the API budget is per user or key rather than per address.
  app.use([...API_BUDGET_PATHS], auth.authenticate, apiRateLimit(deps));

  const api = new ApiRouter(openapi, auth);
  for (const mount of options.routes ?? routeModules) mount({ deps, api });
  app.use(api.router);
  app.use(pagesRouter(deps, auth, options.dashboard ?? dashboardAssets(), api));

  app.use(notFoundMiddleware());
  app.use(errorMiddleware());
  return app;
}
