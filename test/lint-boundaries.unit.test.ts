// The boundary rules of eslint.config.mjs (infra/eslint/boundaries.mjs) fail planted violations: outbox rows and
// status writes outside their owners, and relative imports that leave a package or service. Each piece of code is
// linted with the repository's own configuration through the ESLint Node API, at a path where the rule applies.
/* eslint-disable no-restricted-syntax, no-template-curly-in-string -- the violations planted here are linted on purpose */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

const OUTBOX =
  'no-restricted-syntax: outbox rows are written only by @pixmill/queue (enqueue, enqueueMany, outboxRowsSql)';
const STATUS = 'no-restricted-syntax: batch, chunk and image statuses are written only by @pixmill/batch-state';

const outboxSql =
  'export const q = (db: any, id: string) => db.$executeRaw`INSERT INTO outbox_messages (queue) VALUES (${id})`;\n';
const outboxText = 'export const q = \'insert into "outbox_messages" (queue) values ($1)\';\n';
const statusSql =
  "export const q = (db: any, id: string) => db.$executeRaw`UPDATE batches SET updated_at = now(), status = 'paused' WHERE id = ${id}`;\n";
const statusPrisma =
  "export const q = (tx: any, id: string) => tx.image.updateMany({ where: { id }, data: { status: 'failed' } });\n";
const otherColumn =
  "export const q = (tx: any, id: string) => tx.batch.update({ where: { id, status: 'paused' }, data: { webhookDisabled: true } });\n";
const imports = [
  "import { a } from '../../../gateway/src/batches/create-batch';",
  "export { b } from '../../../../packages/storage/src/download-signature';",
  "const c = require('../../../notifier/test/support/webhook-receiver');",
  "jest.mock('../../../queue/src/outbox');",
  "import { d } from './support/harness';",
  "import { e } from '../src/handlers/resize-image.handler';",
  'export { a, b, c, d, e };\n',
].join('\n');

const cases = {
  outboxInGateway: ['services/gateway/src/planted.ts', outboxSql],
  outboxInBatchState: ['packages/batch-state/src/planted.ts', outboxSql],
  outboxInTest: ['services/resize/test/planted.test.ts', outboxSql],
  outboxAsString: ['services/notifier/src/planted.ts', outboxText],
  outboxInQueue: ['packages/queue/src/planted.ts', outboxSql],
  statusSqlInGateway: ['services/gateway/src/planted.ts', statusSql],
  statusPrismaInIngest: ['services/ingest/src/planted.ts', statusPrisma],
  statusSqlInBatchState: ['packages/batch-state/src/planted.ts', statusSql],
  statusPrismaInBatchState: ['packages/batch-state/src/planted.ts', statusPrisma],
  otherColumn: ['services/notifier/src/planted.ts', otherColumn],
  imports: ['services/resize/test/support/planted.ts', imports],
} as const;

let errors: Record<keyof typeof cases, string[]>;
beforeAll(() => {
  const names = Object.keys(cases) as (keyof typeof cases)[];
  const input = JSON.stringify(names.map((n) => ({ file: cases[n][0], code: cases[n][1] })));
  const out = JSON.parse(
    execFileSync(process.execPath, [path.join(ROOT, 'infra/eslint/lint-cases.mjs')], { cwd: ROOT, input }).toString(),
  ) as string[][];
  // Only the rules under test: the planted code is not meant to be clean otherwise (any, require).
  const ours = (m: string) => m.startsWith('no-restricted-syntax: ') || m.startsWith('pixmill/');
  errors = Object.fromEntries(names.map((n, i) => [n, out[i]!.filter(ours)])) as typeof errors;
}, 60_000);

describe('lint boundaries', () => {
  it('refuses an outbox row written by hand outside @pixmill/queue, in SQL of either kind, tests included', () => {
    expect(errors.outboxInGateway).toEqual([OUTBOX]);
    expect(errors.outboxInBatchState).toEqual([OUTBOX]);
    expect(errors.outboxInTest).toEqual([OUTBOX]);
    expect(errors.outboxAsString).toEqual([OUTBOX]);
    expect(errors.outboxInQueue).toEqual([]);
  });

  it('refuses a status update outside @pixmill/batch-state, in SQL or through Prisma', () => {
    expect(errors.statusSqlInGateway).toEqual([STATUS]);
    expect(errors.statusPrismaInIngest).toEqual([STATUS]);
    expect(errors.statusSqlInBatchState).toEqual([]);
    expect(errors.statusPrismaInBatchState).toEqual([]);
    // Other columns (a status in a where is a guard, not a write) are anyone's.
    expect(errors.otherColumn).toEqual([]);
  });

  it('refuses a relative import that leaves its package or service, and only that', () => {
    expect(errors.imports).toEqual([
      expect.stringMatching(/create-batch' reaches into services\/gateway from services\/resize/),
      expect.stringMatching(/download-signature' reaches into packages\/storage from services\/resize/),
      expect.stringMatching(/webhook-receiver' reaches into services\/notifier from services\/resize/),
      expect.stringMatching(/outbox' reaches into services\/queue from services\/resize/),
    ]);
    expect(errors.imports.every((m) => m.startsWith('pixmill/no-cross-package-relative-import: '))).toBe(true);
  });
});
