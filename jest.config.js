/** One jest run over every package and service; integration tests talk to the machine's real services. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
    '/node_modules/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testMatch: [
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/services/*/test/**/*.test.ts',
    '<rootDir>/test/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  // Dependencies published only as ES modules, compiled to CommonJS like our sources.
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?(thumbhash)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/infra/jest/loopback-only.ts'],
  // Every answer a gateway gives in the run is checked against its OpenAPI document; a mismatch fails the run.
  reporters: ['default', '<rootDir>/services/gateway/test/support/response-check.reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
