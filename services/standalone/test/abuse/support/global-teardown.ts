// Merges the rows every suite file wrote, prints one table per configuration (case, expected, got, health, same
// PID), and, when every category ran on both configurations, writes bench/results/abuse.json (the README's abuse
// section is made from it by readme-table.ts). Any mismatch fails the run here too, so a table with a failing row
// never passes unnoticed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaseRow } from './cases';
import { CONFIGURATIONS } from '../../support/target';

/** The suite files' categories, in table order. A run of fewer (one file alone) prints but writes no record. */
export const CATEGORIES = ['ssrf', 'webhooks', 'images', 'csv', 'auth', 'tenancy', 'http'] as const;

const ROOT = path.resolve(__dirname, '../../../../..');

export const CONFIG_TITLES: Record<string, string> = {
  embedded: '`pnpm start` with nothing configured (embedded database, in-process queue, local disk)',
  services: '`pnpm start` on PostgreSQL + RabbitMQ + S3 protocol (s3rver)',
};

export default function globalTeardown(): void {
  const dir = process.env.PIXMILL_ABUSE_ROWS_DIR;
  if (!dir || !existsSync(dir)) return;
  const rows: CaseRow[] = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CaseRow[]);
  rmSync(dir, { recursive: true, force: true });
  const order = (r: CaseRow) =>
    (CONFIGURATIONS as readonly string[]).indexOf(r.config) * 100 +
    (CATEGORIES as readonly string[]).indexOf(r.category);
  rows.sort((a, b) => order(a) - order(b));

  for (const config of CONFIGURATIONS) {
    const of = rows.filter((r) => r.config === config);
    if (of.length === 0) continue;
    console.log(
      `\n${config}: ${CONFIG_TITLES[config]} (${of.length} cases, ${of.filter((r) => !r.pass).length} failed)`,
    );
    printTable(of);
  }
  const failed = rows.filter((r) => !r.pass);
  const complete = CONFIGURATIONS.every((config) =>
    CATEGORIES.every((c) => rows.some((r) => r.config === config && r.category === c)),
  );
  if (complete) {
    const summary = (of: CaseRow[]) => ({
      total: of.length,
      passed: of.filter((r) => r.pass).length,
      failed: of.filter((r) => !r.pass).length,
      categories: Object.fromEntries(
        CATEGORIES.map((c) => {
          const inCat = of.filter((r) => r.category === c);
          return [c, { cases: inCat.length, passed: inCat.filter((r) => r.pass).length }];
        }),
      ),
    });
    const record = {
      suite: 'abuse',
      command: 'pnpm test:abuse',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        memory_gb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        load_average: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
      },
      ...summary(rows),
      configurations: Object.fromEntries(
        CONFIGURATIONS.map((config) => [
          config,
          { what: CONFIG_TITLES[config], ...summary(rows.filter((r) => r.config === config)) },
        ]),
      ),
      cases: rows,
    };
    const out = path.join(ROOT, 'bench/results/abuse.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`\nabuse: ${rows.length} cases, ${failed.length} failed; written to ${path.relative(ROOT, out)}`);
  } else {
    console.log(
      `\nabuse: ${rows.length} cases (partial run: not every category on both configurations; no record written)`,
    );
  }
  if (failed.length > 0) {
    throw new Error(
      `abuse suite: ${failed.length} case(s) did not match: ${failed.map((r) => `${r.config}: ${r.name}`).join('; ')}`,
    );
  }
}

function printTable(rows: CaseRow[]): void {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const head = ['', 'category', 'case', 'expected', 'got', 'health', 'same pid'];
  const lines = rows.map((r) => [
    r.pass ? 'ok' : 'FAIL',
    r.category,
    cut(r.name, 60),
    cut(r.expected, 52),
    cut(r.got, 52),
    String(r.health),
    r.samePid ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(['', fmt(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n'));
}
