// The one way to build a PrismaClient: the pg driver adapter over a bounded pool.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { preparedStatementNames } from './prepared-statements';

export interface CreatePrismaOptions {
  /** Pool size (pg's default is 10). */
  max?: number;
  /**
   * How many distinct statements each connection keeps prepared (default 200; 0 sends every statement unnamed, as
   * PgBouncer in transaction mode before 1.21 needs).
   */
  preparedStatements?: number;
}

export function createPrisma(databaseUrl: string, opts: CreatePrismaOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      ...(opts.max === undefined ? {} : { max: opts.max }),
    },
    // The adapter passes the name straight to pg, for which an undefined name is an unnamed statement.
    {
      statementNameGenerator: preparedStatementNames(opts.preparedStatements ?? 200) as (q: { sql: string }) => string,
    },
  );
  return new PrismaClient({ adapter });
}
