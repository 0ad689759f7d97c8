/**
 * The fast tier (`pnpm test:unit`, run first by CI): tests that need no services, with in-memory fakes of pixmill's
 * own interfaces and real sharp. Files named `*.unit.test.ts` anywhere, and every test of the packages that are pure
 * functions. No connection is allowed at all (infra/jest/no-services.ts), so a test that needs a service fails here.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/packages/*/test/**/*.unit.test.ts',
    '<rootDir>/services/*/test/**/*.unit.test.ts',
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/packages/{contracts,config,imaging}/test/**/*.test.ts',
  ],
  setupFiles: ['<rootDir>/infra/jest/no-services.ts'],
  testTimeout: 20_000,
};
