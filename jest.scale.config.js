/**
 * The scale suite (`pnpm test:scale`): two gateways and two of each worker on test hosts (network namespaces on
 * 198.18.0.0/24, made and removed by the suite, as root), a three-node RabbitMQ cluster, PostgreSQL and Redis on
 * hosts of their own; scenarios kill brokers, gateways and links mid-batch. One cluster for the whole run, so the
 * scenarios run in order in one file; figures go to bench/results/scale.json.
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  // The guard lets this suite reach loopback and its own test hosts only.
  setupFiles: ['<rootDir>/infra/jest/scale-hosts-only.ts'],
  reporters: base.reporters,
  testMatch: ['<rootDir>/services/standalone/test/scale/**/*.scale.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
