// Merges the rows every suite file wrote, prints the table (case, expected, got), and, when every category ran,
// writes bench/results/abuse.json (the README's abuse table is made from it by readme-table.ts). Any mismatch
// fails the run here too, so a table with a failing row never passes unnoticed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaseRow } from './cases';

/** The suite files' categories, in table order. A run of fewer (one file alone) prints but writes no record. */
export const CATEGORIES = ['ssrf', 'webhooks', 'images', 'csv', 'auth', 'tenancy', 'http'] as const;

const ROOT = path.resolve(__dirname, '../../../../..');

export default function globalTeardown(): void {
  const dir = process.env.PIXMILL_ABUSE_ROWS_DIR;
  if (!dir || !existsSync(dir)) return;
  const rows: CaseRow[] = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CaseRow[]);
  rmSync(dir, { recursive: true, force: true });
  const order = (c: string) => (CATEGORIES as readonly string[]).indexOf(c);
  rows.sort((a, b) => order(a.category) - order(b.category));

  printTable(rows);
  const failed = rows.filter((r) => !r.pass);
  const ran = new Set(rows.map((r) => r.category));
  const complete = CATEGORIES.every((c) => ran.has(c));
  if (complete) {
    const record = {
      suite: 'abuse',
      command: 'pnpm test:abuse',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      total: rows.length,
      passed: rows.length - failed.length,
      failed: failed.length,
      categories: Object.fromEntries(
        CATEGORIES.map((c) => {
          const of = rows.filter((r) => r.category === c);
          return [c, { cases: of.length, passed: of.filter((r) => r.pass).length }];
        }),
      ),
      cases: rows,
    };
    const out = path.join(ROOT, 'bench/results/abuse.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`\nabuse: ${rows.length} cases, ${failed.length} failed; written to ${path.relative(ROOT, out)}`);
  } else {
    console.log(`\nabuse: ${rows.length} cases of ${[...ran].join(', ')} (partial run: no record written)`);
  }
  if (failed.length > 0) {
    throw new Error(`abuse suite: ${failed.length} case(s) did not match: ${failed.map((r) => r.name).join('; ')}`);
  }
}

function printTable(rows: CaseRow[]): void {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const head = ['', 'category', 'case', 'expected', 'got', 'health'];
  const lines = rows.map((r) => [
    r.pass ? 'ok' : 'FAIL',
    r.category,
    cut(r.name, 60),
    cut(r.expected, 52),
    cut(r.got, 52),
    String(r.health),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(['', fmt(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n'));
}
