// The generated OpenAPI document as the tools clients use read it: `redocly lint` finds nothing to say, and the types
// `openapi-typescript` makes from it give every response a body type (none is `never`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import ts from 'typescript';
import { startGateway } from './support';

const ROOT = path.resolve(__dirname, '../../..');

/** A tool's CLI from the root devDependencies, run with node, offline (no telemetry, no update check). */
function runTool(pkg: string, bin: string, args: string[]) {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
  const entry = path.join(
    path.dirname(manifest),
    (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin[bin]!,
  );
  return spawnSync(process.execPath, [entry, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CI: 'true',
      NO_COLOR: '1',
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    },
  });
}

/** Status codes whose answers carry no body by definition. */
const BODILESS = new Set(['204', '304']);

/** `operationId status` of every response in generated types whose body type is, or contains, `never`. */
function neverResponses(source: string): string[] {
  const file = ts.createSourceFile('api.d.ts', source, ts.ScriptTarget.Latest, true);
  const ops = file.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'operations',
  );
  if (!ops) throw new Error('no operations interface in the generated types');
  const name = (m: ts.TypeElement) => (m.name && ts.isIdentifier(m.name) ? m.name.text : (m.name?.getText(file) ?? ''));
  const members = (t: ts.TypeNode | undefined) => (t && ts.isTypeLiteralNode(t) ? t.members : undefined);
  const out: string[] = [];
  for (const op of ops.members) {
    if (!ts.isPropertySignature(op)) continue;
    const responses = members(op.type)?.find((m) => name(m) === 'responses') as ts.PropertySignature | undefined;
    for (const r of members(responses?.type) ?? []) {
      if (!ts.isPropertySignature(r) || BODILESS.has(name(r))) continue;
      const content = members(r.type)?.find((m) => name(m) === 'content') as ts.PropertySignature | undefined;
      // Comments (schema descriptions) may say "never" too; only the type counts.
      const text = (content?.type?.getText(file) ?? 'never').replace(/\/\*[\s\S]*?\*\//g, '');
      if (/\bnever\b/.test(text)) out.push(`${name(op)} ${name(r)}: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
  }
  return out;
}

describe('OpenAPI document with client tools', () => {
  let dir: string;
  let docFile: string;

  beforeAll(async () => {
    const gw = await startGateway();
    try {
      const doc = (await request(gw.app).get('/api/v1/openapi.json').expect(200)).body as object;
      dir = mkdtempSync(path.join(tmpdir(), 'pixmill-openapi-'));
      docFile = path.join(dir, 'openapi.json');
      writeFileSync(docFile, JSON.stringify(doc, null, 2));
    } finally {
      await gw.close();
    }
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('lints clean with redocly (no errors, no warnings)', () => {
    const run = runTool('@redocly/cli', 'redocly', [
      'lint',
      '--config',
      path.join(ROOT, 'redocly.yaml'),
      '--format',
      'json',
      docFile,
    ]);
    const report = JSON.parse(run.stdout || '{}') as {
      totals?: { errors: number; warnings: number };
      problems?: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
    };
    const problems = (report.problems ?? []).map(
      (p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`,
    );
    expect({ problems, stderr: report.totals ? '' : run.stderr }).toEqual({ problems: [], stderr: '' });
    expect(report.totals).toEqual(expect.objectContaining({ errors: 0, warnings: 0 }));
  });

  it('types every response of a client generated with openapi-typescript', () => {
    const out = path.join(dir, 'api.d.ts');
    const run = runTool('openapi-typescript', 'openapi-typescript', [docFile, '-o', out]);
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const source = readFileSync(out, 'utf8');
    // The walk must see the operations, or finding no `never` proves nothing.
    expect(source).toContain('postApiV1AuthLogin');
    expect(neverResponses(source)).toEqual([]);
  });
});
