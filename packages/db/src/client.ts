// The one way to build a PrismaClient: the pg driver adapter over a bounded pool.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface CreatePrismaOptions {
  /** Pool size (pg's default is 10). Use the embedded database's `maxConnections` (1) in embedded mode. */
  max?: number;
}

export function createPrisma(databaseUrl: string, opts: CreatePrismaOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    ...(opts.max === undefined ? {} : { max: opts.max }),
  });
  return new PrismaClient({ adapter });
}
