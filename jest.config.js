/** Jest runs the TypeScript tests through swc (no type-check here: `npm test` runs tsc --noEmit first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/helpers/poison.js'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testTimeout: 120000,
};
