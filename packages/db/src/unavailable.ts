// Telling "the database is down" from "this query is wrong": the first is worth waiting out, the second is not.

/** Driver adapter error kinds (@prisma/adapter-pg) that mean the server could not be reached or went away. */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Prisma's own codes for the same: can't reach, timed out reaching, server closed the connection. */
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1017']);
/** PostgreSQL SQLSTATEs: connection exceptions (08xxx), shutting down or starting up (57P01-57P03). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;
/** node-postgres' own words when the connection drops without a SQLSTATE (it reaches callers as a plain Error). */
const DROPPED = /^(Connection terminated|Client has encountered a connection error)/;

type Described = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } };
  cause?: unknown;
};

/**
 * True when `err`, from Prisma or the pg driver under it, says the database is unreachable (refused, reset, shut
 * down, starting up, out of connections) rather than that the statement failed. Other errors, even with the same
 * socket codes (S3, HTTP), are not the database's: only Prisma's and pg's own errors are read.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e = err as Described | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++, e = e.cause as Described | undefined) {
    const name = typeof e.name === 'string' ? e.name : '';
    const fromPrisma = name.startsWith('PrismaClient') || name === 'DriverAdapterError';
    const fromPg = name === 'error' || name === 'DatabaseError'; // pg's DatabaseError is named 'error'
    if (name === 'Error' && typeof e.message === 'string' && DROPPED.test(e.message)) return true;
    if (fromPrisma) {
      if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
      const cause = e.meta?.driverAdapterError?.cause;
      if (typeof cause?.kind === 'string' && UNREACHABLE_KINDS.has(cause.kind)) return true;
      if (cause?.kind === 'postgres' && typeof cause.code === 'string' && UNAVAILABLE_SQLSTATE.test(cause.code))
        return true;
    }
    if (fromPg && typeof e.code === 'string' && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  }
  return false;
}
