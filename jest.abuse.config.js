/** `pnpm test:abuse`: the abuse suite (services/standalone/test/abuse), on the machine's real services, loopback only. */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  // Loopback only, as every test (the suite adds its own DNS stub and tripwire on top: support/net-guard.ts).
  setupFiles: base.setupFiles,
  testMatch: ['<rootDir>/services/standalone/test/abuse/**/*.abuse.ts'],
  globalSetup: '<rootDir>/services/standalone/test/abuse/support/global-setup.ts',
  globalTeardown: '<rootDir>/services/standalone/test/abuse/support/global-teardown.ts',
  testTimeout: 180_000,
  maxWorkers: 2,
};
