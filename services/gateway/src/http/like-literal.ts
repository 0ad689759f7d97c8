// Prisma turns `contains` / `startsWith` / `endsWith` into LIKE without escaping the operand (prisma/orm#19506), so
// a client's `%` or `_` would be a wildcard: a search for "100%" would match every name with "100" in it.
/** The text as a LIKE operand that matches itself literally (PostgreSQL's default escape character is `\\`). */
export const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
