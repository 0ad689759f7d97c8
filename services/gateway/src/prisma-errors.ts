// Recognises Prisma's known request errors by their documented codes, without importing the generated client's
// runtime classes (the code is what Prisma documents as stable).
type PrismaKnownError = { code: string; meta?: Record<string, unknown> };

const isPrismaKnown = (err: unknown): err is PrismaKnownError =>
  typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'PrismaClientKnownRequestError';

/** A unique constraint refused the write (P2002). */
export const isUniqueViolation = (err: unknown): boolean => isPrismaKnown(err) && err.code === 'P2002';

/** The record an update or delete needed does not exist (P2025). */
export const isRecordNotFound = (err: unknown): boolean => isPrismaKnown(err) && err.code === 'P2025';
