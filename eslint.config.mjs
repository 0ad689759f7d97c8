import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import {
  boundariesPlugin,
  OUTBOX_OWNER,
  outboxWrites,
  STATUS_OWNER,
  statusWrites,
} from './infra/eslint/boundaries.mjs';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/generated/**', 'data/**', 'bench/results/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // '${x}' in a plain string is a template literal written with the wrong quotes (a test case that tested nothing).
      'no-template-curly-in-string': 'error',
    },
  },
  {
    plugins: { pixmill: boundariesPlugin },
    rules: {
      'pixmill/no-cross-package-relative-import': 'error',
      'no-restricted-syntax': ['error', ...outboxWrites, ...statusWrites],
    },
  },
  // One owner for each write (no-restricted-syntax is replaced, not merged, by a later block). Tests may put rows in
  // a state to start from; they still write no outbox rows by hand.
  { files: ['**/test/**'], rules: { 'no-restricted-syntax': ['error', ...outboxWrites] } },
  { files: [OUTBOX_OWNER], rules: { 'no-restricted-syntax': ['error', ...statusWrites] } },
  { files: [STATUS_OWNER], rules: { 'no-restricted-syntax': ['error', ...outboxWrites] } },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain-node ES module scripts (infra/build/bundle.mjs).
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
