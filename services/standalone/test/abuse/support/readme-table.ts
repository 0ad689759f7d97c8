// `npx tsx services/standalone/test/abuse/support/readme-table.ts`: writes the README's abuse section (between
// <!-- abuse:start --> and <!-- abuse:end -->, placed before "## Tests" the first time) from the record the last
// complete run of `pnpm test:abuse` wrote to bench/results/abuse.json.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CaseRow } from './cases';

const ROOT = path.resolve(__dirname, '../../../../..');

type Summary = {
  total: number;
  passed: number;
  failed: number;
  categories: Record<string, { cases: number; passed: number }>;
};
type AbuseRecord = Summary & {
  date: string;
  machine: { cpus: number; node: string; load_average?: number };
  configurations: Record<string, Summary & { what: string }>;
  cases: CaseRow[];
};

const WHAT: Record<string, string> = {
  ssrf: 'image URLs at every loopback form (hex, decimal, short, octal, v4-mapped, `[::1]`, `0.0.0.0`), names whose stubbed DNS answer is private, link-local, metadata, CGNAT, ULA or mixed, redirects to them, `file:`/`gopher:`/`ftp:`, credentials',
  webhooks:
    '`webhook_url` refused at creation for the same forms; a name that rebinds to loopback after the check is refused at delivery; a 302 to the trap is not followed',
  images:
    'pixel bomb, PNG declaring 10^12 and 2^62 pixels, truncated JPEG/PNG, polyglots, HTML/PDF named as images, SVG referencing a URL, GIF of 5000 frames, zero-byte, too many files, 1 GB uploads (answered at the limit, memory flat)',
  csv: 'binary junk, PNG/XLSX as CSV, UTF-16, Latin-1, 1,000,000 columns (row and header), 10 MB cell, unterminated quote, empty, no URL column, row/URL/byte limits, formula cells in CSV/XLSX exports and results',
  auth: '`alg: none` (three ways), guessed secrets, HS512/RS256 instead of HS256, expired, no `exp`, foreign or missing `aud`/`iss`, tampered payload, deleted user (token and key), revoked key, login brute force',
  tenancy:
    "every documented route with another user's token and API key (enumerated from `/api/v1/openapi.json`), then the victim's batch, outputs and key checked unchanged",
  http: 'oversized, gzip-bombed, deeply nested, broken and mistyped bodies, malformed multipart, path traversal in `/files/` links, ids, recipe and file names, CR/LF and quotes in file and batch names',
};

export function render(r: AbuseRecord): string {
  const table = (c: Summary) => [
    '| category | cases | result | what |',
    '| --- | --- | --- | --- |',
    ...Object.entries(c.categories).map(
      ([name, v]) =>
        `| ${name} | ${v.cases} | ${v.passed === v.cases ? 'all pass' : `${v.cases - v.passed} FAIL`} | ${WHAT[name] ?? ''} |`,
    ),
  ];
  const load = r.machine.load_average === undefined ? '' : `, load average ${r.machine.load_average}`;
  return [
    '<!-- abuse:start -->',
    '## Abuse suite',
    '',
    '`pnpm test:abuse` attacks `pnpm start` running as a process of its own, once on each configuration a user runs:',
    'with nothing configured (embedded database, in-process queue, local disk) and on PostgreSQL + RabbitMQ + S3',
    'protocol. It expects each case to end in a clear 4xx JSON error, a failed image with a reason, or a neutralised',
    'value; after every case the same process (its PID unchanged: a restarted one does not count) must answer',
    '`/api/v1/health` with 200. Loopback only: private, link-local and metadata addresses are answers of a stubbed DNS',
    '(loaded into the pixmill process first; no name but localhost is resolved for real), a trap server stands where',
    'loopback forms point, and a tripwire refuses any socket leaving 127.0.0.0/8 and ::1. It prints one table per',
    'configuration (case, expected, got, health, same PID) and fails on any mismatch. Record: `bench/results/abuse.json`.',
    '',
    `Last run: ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.machine.cpus} cores (shared${load}), Node ${r.machine.node}: ` +
      `**${r.total} cases, ${r.passed} passed, ${r.failed} failed**.`,
    ...Object.values(r.configurations).flatMap((c) => [
      '',
      `${c.what}: ${c.total} cases, ${c.passed} passed, ${c.failed} failed.`,
      '',
      ...table(c),
    ]),
    '',
    'Found by it and fixed in the gateway: a malformed multipart body (cut short, or without a boundary) was a 500, now',
    '400 `malformed_upload`; an oversized upload was refused only once the whole body had arrived (a 1 GB image: after',
    'the full gigabyte), now at the limit while the rest is drained. Run on the embedded default for the first time, it',
    'showed a refused CSV ending the whole process (an unhandled stream error with local-disk storage); fixed in the',
    'storage layer.',
    '<!-- abuse:end -->',
  ].join('\n');
}

if (require.main === module) {
  const record = JSON.parse(readFileSync(path.join(ROOT, 'bench/results/abuse.json'), 'utf8')) as AbuseRecord;
  const file = path.join(ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const section = render(record);
  const start = readme.indexOf('<!-- abuse:start -->');
  const end = readme.indexOf('<!-- abuse:end -->');
  let next: string;
  if (start >= 0 && end > start)
    next = readme.slice(0, start) + section + readme.slice(end + '<!-- abuse:end -->'.length);
  else {
    const at = readme.indexOf('\n## Tests');
    if (at < 0) throw new Error('README has no "## Tests" heading to put the abuse section before');
    next = `${readme.slice(0, at + 1)}${section}\n\n${readme.slice(at + 1)}`;
  }
  writeFileSync(file, next);
  console.log(`README abuse section: ${record.total} cases from ${record.date}`);
}
