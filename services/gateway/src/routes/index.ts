// Every router of the gateway, in mount order. Adding an area is one file in this folder and one line here.
import { accountWebhookRoutes } from './account-webhook.routes';
import { adminRoutes } from './admin.routes';
import { apiKeysRoutes } from './api-keys.routes';
import { batchControlRoutes } from './batch-control.routes';
import { batchInsightsRoutes } from './batch-insights.routes';
import { batchListRoutes } from './batch-list.routes';
import { batchOutputsRoutes } from './batch-outputs.routes';
import { batchesRoutes } from './batches.routes';
import { duplicatesRoutes } from './duplicates.routes';
import { exportTemplateRoutes } from './export-template.routes';
import { exportsRoutes } from './exports.routes';
import { filesRoutes } from './files.routes';
import { authRoutes } from './auth.routes';
import { healthRoutes } from './health.routes';
import { openapiRoutes } from './openapi.routes';
import { resizeRoutes } from './resize.routes';
import { seed000Routes } from './seed-000.routes';
import { seed001Routes } from './seed-001.routes';
import { shortRoutes } from './short-routes.routes';
import { systemRoutes } from './system.routes';
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
  batchListRoutes,
  batchControlRoutes,
  batchInsightsRoutes,
  batchOutputsRoutes,
  duplicatesRoutes,
  urlBatchesRoutes,
  shortRoutes,
  exportTemplateRoutes,
  exportsRoutes,
  webhooksRoutes,
  accountWebhookRoutes,
  resizeRoutes,
  seed000Routes,
  seed001Routes,
  filesRoutes,
  systemRoutes,
  adminRoutes,
  openapiRoutes,
];

export type { RouteContext, RouteModule } from './route-module';
