/** The adversarial suite: the same setup as the main suite, on test/adversarial only. */
const base = require('./jest.config.cjs');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/adversarial/**/*.test.ts'],
  testPathIgnorePatterns: [],
  // The long run's cases carry their own limits (test/helpers/adversarial.ts).
  testTimeout: 600000,
};
