// Every router of the gateway, in mount order. Adding an area is one file in this folder and one line here.
import { apiKeysRoutes } from './api-keys.routes';
import { authRoutes } from './auth.routes';
import { healthRoutes } from './health.routes';
import { openapiRoutes } from './openapi.routes';
import type { RouteModule } from './route-module';
import { usersRoutes } from './users.routes';

export const routeModules: RouteModule[] = [healthRoutes, authRoutes, usersRoutes, apiKeysRoutes, openapiRoutes];

export type { RouteContext, RouteModule } from './route-module';
