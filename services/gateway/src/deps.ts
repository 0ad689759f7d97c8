import type { Settings } from '@pixmill/config';
import type { PrismaClient } from '@pixmill/db';
import type { Logger, Registry } from '@pixmill/observability';
import type { Transport } from '@pixmill/queue';
import type { ObjectStore } from '@pixmill/storage';
import type { PasswordWork } from './auth/password-work';
import type { RateLimitStores } from './http/rate-limit-store';

/** Everything the gateway needs, built by a composition root (main.ts, the all-in-one process, or a test). */
export type GatewayDeps = {
  settings: Settings;
  prisma: PrismaClient;
  store: ObjectStore;
  transport: Transport;
  log: Logger;
  registry: Registry;
  /** HS256 secret for login tokens (see resolveJwtSecret). */
  jwtSecret: string;
  /** Shared rate-limit counters (createRateLimitStores, REDIS_URL); unset: in this process's memory. */
  rateLimits?: RateLimitStores;
  /** The bound on bcrypt work (createApp makes one from settings when unset). */
  passwordWork?: PasswordWork;
};

/** GatewayDeps as route modules see them, with everything createApp fills in. */
export type RouteDeps = GatewayDeps & { passwordWork: PasswordWork };
