/**
 * The reliability suite (npm run test:reliability): soak, faults, hostile safetensors files (a seeded mutation
 * fuzzer, and an ASan + UBSan build of the native loader's conversion), and a table of bad API calls.
 * CI-sized by default; CONVNETS_RELIABILITY_LONG=1 runs the long version (10^5 soak requests and fuzz inputs).
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/reliability'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 1800000,
  maxWorkers: 1, // the soak measures RSS and event-loop lag: nothing else in parallel
};
