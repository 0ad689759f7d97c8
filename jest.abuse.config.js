/**
 * `pnpm test:abuse`: the abuse suite (services/standalone/test/abuse) against `pnpm start` in a process of its own,
 * once per configuration (a jest project each): embedded defaults, then PostgreSQL + RabbitMQ + S3. Loopback only.
 */
const base = require('./jest.config.js');

const project = (config) => ({
  displayName: config,
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  // Loopback only, as every test (the suite adds its own DNS stub and tripwire on top: support/net-guard.ts), and
  // the configuration this project attacks.
  setupFiles: [...base.setupFiles, `<rootDir>/services/standalone/test/abuse/support/config-${config}.ts`],
  testMatch: ['<rootDir>/services/standalone/test/abuse/**/*.abuse.ts'],
});

module.exports = {
  reporters: base.reporters,
  projects: [project('embedded'), project('services')],
  globalSetup: '<rootDir>/services/standalone/test/abuse/support/global-setup.ts',
  globalTeardown: '<rootDir>/services/standalone/test/abuse/support/global-teardown.ts',
  testTimeout: 180_000,
  maxWorkers: 2,
};
