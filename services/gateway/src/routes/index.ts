// Every router of the gateway, in mount order. Adding an area is one file in this folder and one line here.
import { apiKeysRoutes } from './api-keys.routes';
import { batchesRoutes } from './batches.routes';
import { exportTemplateRoutes } from './export-template.routes';
import { filesRoutes } from './files.routes';
import { authRoutes } from './auth.routes';
import { healthRoutes } from './health.routes';
import { openapiRoutes } from './openapi.routes';
import { resizeRoutes } from './resize.routes';
import { shortRoutes } from './short-routes.routes';
import { urlBatchesRoutes } from './url-batches.routes';
import type { RouteModule } from './route-module';
import { usersRoutes } from './users.routes';
import { webhooksRoutes } from './webhooks.routes';

export const routeModules: RouteModule[] = [
  healthRoutes,
  authRoutes,
  usersRoutes,
  apiKeysRoutes,
  batchesRoutes,
  urlBatchesRoutes,
  shortRoutes,
  exportTemplateRoutes,
  webhooksRoutes,
  resizeRoutes,
  filesRoutes,
  openapiRoutes,
];

export type { RouteContext, RouteModule } from './route-module';
