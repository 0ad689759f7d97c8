/**
 * The fault suite (`pnpm test:faults`): the pipeline as separate processes on real PostgreSQL, RabbitMQ and S3
 * protocol, with workers killed and dependencies stopped mid-batch. Scenarios run one at a time (they measure
 * recovery, and two cores are all CI has); each writes its figures to bench/results/faults.json.
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  // Loopback only, as every test: the services it starts are told only loopback addresses too.
  setupFiles: base.setupFiles,
  reporters: base.reporters,
  testMatch: ['<rootDir>/services/standalone/test/faults/**/*.faults.ts'],
  testTimeout: 240_000,
  maxWorkers: 1,
};
