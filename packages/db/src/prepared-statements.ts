// Named (prepared) statements for the pg driver: a statement seen before is sent as Bind/Execute of a statement the
// connection already parsed, instead of its whole text to parse and plan again. The hot ones are long (claiming and
// finishing an image are one CTE of several KB each, run per image), so this saves PostgreSQL CPU and bytes per query.
import { createHash } from 'node:crypto';

/** Prisma spells a list argument as one parameter per element (`IN ($2,$3,$4)`): such a text changes with the list. */
const PARAMETER_LIST = /\bIN \(\$\d+,/;

/**
 * A `statementNameGenerator` for PrismaPg: one stable name per SQL text (a hash, so the same text always gets the
 * same name on every connection and two texts never share one). pg keeps a named statement prepared for the
 * connection's lifetime, so the set stays bounded: texts with a parameter list (one text per list length) are left
 * unnamed, and so is every text after the first `limit`.
 */
export function preparedStatementNames(limit: number): ((query: { sql: string }) => string | undefined) | undefined {
  if (limit <= 0) return undefined;
  const names = new Map<string, string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined || names.size >= limit || PARAMETER_LIST.test(sql)) return known;
    const name = `pixmill_${createHash('sha1').update(sql).digest('base64url')}`;
    names.set(sql, name);
    return name;
  };
}
