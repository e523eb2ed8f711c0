/** @type {import('jest').Config} The fault suite (`npm run test:faults`): real servers, killed and cut off. */
module.exports = {
  ...require('./jest.config.js'),
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.ts'],
  globalSetup: '<rootDir>/test/faults/global-setup.ts',
  testTimeout: 300_000,
  // Each file starts servers, databases and Redis of its own and kills them: one at a time.
  maxWorkers: 1,
};
