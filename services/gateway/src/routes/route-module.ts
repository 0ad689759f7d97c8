import type { RouteDeps } from '../deps';
import type { ApiRouter } from '../http/api-router';

/** What a router file gets: the dependencies, and `api` to register routes (each with its OpenAPI operation). */
export type RouteContext = { deps: RouteDeps; api: ApiRouter };

/** A router file exports one of these; routes/index.ts lists them all. */
export type RouteModule = (ctx: RouteContext) => void;
