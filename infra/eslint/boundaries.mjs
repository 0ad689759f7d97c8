// The rules TypeScript cannot see, given to ESLint: who may write status columns and outbox rows (SQL text and
// Prisma calls), and that no relative import leaves its package or service (a package's files are reached through
// its name and exports, `@pixmill/queue/testing` for test helpers).
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The package or service a repository path belongs to (`packages/queue`, `services/gateway`); the repository's own
 * tooling (root files, infra, bench, test) is one unit, `the repository root`.
 */
function unitOf(file) {
  const parts = path.relative(ROOT, file).split(path.sep);
  if (parts[0] === '..') return 'outside the repository';
  return (parts[0] === 'packages' || parts[0] === 'services') && parts.length > 2
    ? parts.slice(0, 2).join('/')
    : 'the repository root';
}

const noCrossPackageRelativeImport = {
  meta: {
    type: 'problem',
    docs: { description: 'relative imports stay inside their package or service' },
    messages: {
      leaves:
        "'{{source}}' reaches into {{target}} from {{unit}} by relative path: import it by package name (a `testing` export for test helpers)",
    },
    schema: [],
  },
  create(context) {
    const file = context.physicalFilename ?? context.filename;
    const unit = unitOf(file);
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = unitOf(path.resolve(path.dirname(file), source));
      if (target !== unit) context.report({ node, messageId: 'leaves', data: { source, unit, target } });
    };
    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      CallExpression(node) {
        const [arg] = node.arguments;
        const callee = node.callee;
        const named =
          (callee.type === 'Identifier' && callee.name === 'require') ||
          (callee.type === 'MemberExpression' &&
            callee.object.type === 'Identifier' &&
            callee.object.name === 'jest' &&
            ['mock', 'requireActual', 'doMock'].includes(callee.property.name));
        if (named && arg?.type === 'Literal') check(arg, arg.value);
      },
    };
  },
};

export const boundariesPlugin = { rules: { 'no-cross-package-relative-import': noCrossPackageRelativeImport } };

/** SQL text (string or template literal) matching `re`. */
const sqlText = (re) => [`TemplateElement[value.raw=${re}]`, `Literal[value=${re}]`];

const OUTBOX_INSERT = /INSERT\s+INTO\s+"?outbox_messages/i;
const STATUS_UPDATE = /UPDATE\s+"?(batches|images|chunks)"?\b[^;]*\b(analysis_)?status\s*=/i;

export const outboxWrites = sqlText(OUTBOX_INSERT).map((selector) => ({
  selector,
  message: 'outbox rows are written only by @pixmill/queue (enqueue, enqueueMany, outboxRowsSql)',
}));

export const statusWrites = [
  ...sqlText(STATUS_UPDATE).map((selector) => ({
    selector,
    message: 'batch, chunk and image statuses are written only by @pixmill/batch-state',
  })),
  {
    // prisma.batch.update({ data: { status } }) and the like, whatever the client is called.
    selector:
      "CallExpression[callee.property.name=/^(update|updateMany|upsert)$/][callee.object.property.name=/^(batch|chunk|image)$/] Property[key.name='data'] > ObjectExpression > Property[key.name=/^(status|analysisStatus)$/]",
    message: 'batch, chunk and image statuses are written only by @pixmill/batch-state',
  },
];

/** Where each kind of write is allowed; everything else gets the restriction. */
export const OUTBOX_OWNER = 'packages/queue/src/**';
export const STATUS_OWNER = 'packages/batch-state/src/**';
