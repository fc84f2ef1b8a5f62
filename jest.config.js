/** Jest runs the TypeScript tests through swc (no type-check here: `npm test` runs tsc --noEmit first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The reliability suite (soak, faults, fuzzing, bad calls) runs on its own: npm run test:reliability.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/'],
  setupFiles: ['<rootDir>/test/helpers/poison.js'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testTimeout: 120000,
};
