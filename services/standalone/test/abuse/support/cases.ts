// One row of the abuse table per case: what was expected, what the service answered, and whether the same process
// (its PID unchanged) still answered /api/v1/health with 200 right after. Rows go to a file per configuration and
// category (the global teardown merges them into bench/results/abuse.json and prints one table per configuration);
// each case also fails its own test on any mismatch.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isErrorBody } from '@pixmill/gateway/testing';

export type CaseRow = {
  /** embedded (pnpm start with nothing configured) or services (PostgreSQL + RabbitMQ + S3). */
  config: string;
  category: string;
  name: string;
  expected: string;
  got: string;
  /** Status of GET /api/v1/health right after the case (0: no answer). */
  health: number;
  /** The process that answered is the one that started (a crashed and restarted one would not be). */
  samePid: boolean;
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

export function category(
  name: string,
  config: string,
  health: () => Promise<number>,
  samePid: () => boolean,
): Category {
  const rows: CaseRow[] = [];
  const file = path.join(rowsDir(), config, `${name}.json`);
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
      const alive = samePid();
      const row: CaseRow = {
        config,
        category: name,
        name: caseName,
        expected,
        got,
        health: status,
        samePid: alive,
        pass: false,
      };
      row.pass = got === expected && status === 200 && alive;
      rows.push(row);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(rows, null, 2));
      expect({ case: caseName, got, health: status, samePid: alive }).toEqual({
        case: caseName,
        got: expected,
        health: 200,
        samePid: true,
      });
    },
  };
}

/** The code of a pixmill error body (`{ success: false, error, code, details, timestamp }`), else undefined. */
const errorCode = (body: unknown): string | undefined => (isErrorBody(body) ? body.code : undefined);

/**
 * `<status> <code>` of an answer that must be a pixmill JSON error (a JSON content type, a non-empty message, a code
 * and details). Anything else reads as `<status> not-json-error: ...`.
 */
export async function jsonError(res: Response): Promise<string> {
  const text = await res.text();
  return errorOf(res.status, res.headers.get('content-type'), text);
}

export function errorOf(status: number, contentType: string | null | undefined, text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const code = /^application\/json/.test(contentType ?? '') ? errorCode(body) : undefined;
  return code ? `${status} ${code}` : `${status} not-json-error: ${text.slice(0, 80)}`;
}
