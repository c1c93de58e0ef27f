/** Tests run TypeScript through SWC (ts-jest needs TypeScript's compiler API); `npm run typecheck` checks types. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // env-paths (and its one dependency) is ESM-only; let SWC turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(env-paths|is-safe-filename)/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Run by scripts/adversarial.sh, with its own summary (npm test runs both).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/adversarial/'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/canary-guard.ts'],
  maxWorkers: 2,
  testTimeout: 120000,
};
