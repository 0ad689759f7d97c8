/**
 * Live-response validation for the whole run: gives the run a fresh RESPONSE_CHECK_DIR before any test process
 * starts (test workers and the pixmill processes tests start inherit it; the gateway then checks every answer against
 * its OpenAPI document, services/gateway/src/openapi/response-check.ts), and fails the run when any process recorded
 * a mismatch there, listing them grouped by operation.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ENV = 'RESPONSE_CHECK_DIR';

/** Every mismatch line in `dir` (one file per process), parsed. */
function readMismatches(dir) {
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    fs
      .readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return { method: '?', path: f, url: '?', status: 0, problems: [`unreadable line: ${line}`] };
        }
      }),
  );
}

/** A report grouped by `METHOD path status`, each group with its distinct problems and one example URL. */
function formatMismatches(mismatches) {
  const groups = new Map();
  for (const m of mismatches) {
    const key = `${m.method} ${m.path} ${m.status}`;
    const g = groups.get(key) ?? { count: 0, url: m.url, problems: new Set() };
    g.count += 1;
    for (const p of m.problems) g.problems.add(p);
    groups.set(key, g);
  }
  const lines = [];
  for (const [key, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${key}  (${g.count}x, e.g. ${g.url})`);
    for (const p of g.problems) lines.push(`      ${p}`);
  }
  return lines.join('\n');
}

class ResponseCheckReporter {
  constructor() {
    // A run inside a run (a test that starts jest) reports to the outer one.
    if (!process.env[ENV]) {
      process.env[ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'pixmill-response-check-'));
      this.owned = true;
    }
    this.dir = process.env[ENV];
    this.error = undefined;
  }

  onRunComplete() {
    const mismatches = readMismatches(this.dir);
    if (this.owned) fs.rmSync(this.dir, { recursive: true, force: true });
    if (mismatches.length === 0) return;
    const text = `${mismatches.length} answer(s) differ from the OpenAPI document:\n${formatMismatches(mismatches)}`;
    process.stderr.write(`\nresponse check: ${text}\n`);
    this.error = new Error(`response check: ${text}`);
  }

  getLastError() {
    return this.error;
  }
}

module.exports = ResponseCheckReporter;
module.exports.readMismatches = readMismatches;
module.exports.formatMismatches = formatMismatches;
