/**
 * `pnpm test:fuzz`: property-based intake fuzzing (services/standalone/test/fuzz) against `pnpm start` in a process
 * of its own, once per configuration (embedded defaults, then PostgreSQL + RabbitMQ + S3). Loopback only.
 * FUZZ_SEED and FUZZ_RUNS (runs per property) replay or lengthen a run.
 */
const base = require('./jest.config.js');

const project = (config) => ({
  displayName: config,
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  setupFiles: [...base.setupFiles, `<rootDir>/services/standalone/test/abuse/support/config-${config}.ts`],
  testMatch: ['<rootDir>/services/standalone/test/fuzz/**/*.fuzz.ts'],
});

module.exports = { reporters: base.reporters, projects: [project('embedded'), project('services')], maxWorkers: 2 };
