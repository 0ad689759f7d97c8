// One row of the abuse table per case: what was expected, what the service answered, and whether /api/v1/health
// still said 200 right after. Rows go to a file per category (the global teardown merges them into
// bench/results/abuse.json and prints the table); each case also fails its own test on any mismatch.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type CaseRow = {
  category: string;
  name: string;
  expected: string;
  got: string;
  /** Status of GET /api/v1/health right after the case (0: no answer). */
  health: number;
  pass: boolean;
};

/** Where the rows of this run go: set by the global setup, or a folder of its own when a file runs alone. */
export function rowsDir(): string {
  // Test infrastructure only: the folder the global setup made for this run.
  return process.env.PIXMILL_ABUSE_ROWS_DIR || path.join(tmpdir(), `pixmill-abuse-rows-${process.pid}`);
}

export type Category = {
  /** Runs one case: `run` answers what happened as a short string compared with `expected`. */
  check(name: string, expected: string, run: () => Promise<string>): Promise<void>;
  rows: CaseRow[];
};

export function category(name: string, health: () => Promise<number>): Category {
  const rows: CaseRow[] = [];
  const file = path.join(rowsDir(), `${name}.json`);
  return {
    rows,
    async check(caseName, expected, run) {
      let got: string;
      try {
        got = await run();
      } catch (err) {
        got = `threw ${(err as Error).message}`.slice(0, 300);
      }
      const status = await health().catch(() => 0);
      const row: CaseRow = { category: name, name: caseName, expected, got, health: status, pass: false };
      row.pass = got === expected && status === 200;
      rows.push(row);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(rows, null, 2));
      expect({ case: caseName, got, health: status }).toEqual({ case: caseName, got: expected, health: 200 });
    },
  };
}

type ErrorBody = { error?: { code?: unknown; message?: unknown; details?: unknown } };

/**
 * `<status> <error.code>` of an answer that must be a pixmill JSON error: `{ error: { code, message, details } }`
 * with a non-empty message and a JSON content type. Anything else reads as `<status> not-json-error: ...`.
 */
export async function jsonError(res: Response): Promise<string> {
  const text = await res.text();
  return errorOf(res.status, res.headers.get('content-type'), text);
}

export function errorOf(status: number, contentType: string | null | undefined, text: string): string {
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = undefined;
  }
  const e = body?.error;
  const ok =
    /^application\/json/.test(contentType ?? '') &&
    e !== undefined &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    'details' in e;
  return ok ? `${status} ${e.code as string}` : `${status} not-json-error: ${text.slice(0, 80)}`;
}
