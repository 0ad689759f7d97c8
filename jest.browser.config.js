/** `pnpm test:browser`: the dashboard in Debian's Chromium (services/standalone/test/browser), against the all-in-one. */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  moduleFileExtensions: base.moduleFileExtensions,
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  transformIgnorePatterns: base.transformIgnorePatterns,
  setupFiles: base.setupFiles,
  reporters: base.reporters,
  testMatch: ['<rootDir>/services/standalone/test/browser/**/*.browser.ts'],
  testTimeout: 120_000,
  // One pixmill and one browser at a time: the suite shares them across its tests.
  maxWorkers: 1,
};
