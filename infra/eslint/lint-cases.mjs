// Lints pieces of code as if they were files of the repository, with its own ESLint configuration (the ESLint Node
// API), for tests that run in jest, where ESLint cannot load an ES module config. Reads `[{ file, code }]` as JSON on
// stdin; writes, for each, the errors as `<rule>: <message>`.
import { Buffer } from 'node:buffer';
import { ESLint } from 'eslint';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const eslint = new ESLint({ cwd: ROOT });
const out = [];
for (const { file, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  out.push(result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`));
}
process.stdout.write(JSON.stringify(out));
