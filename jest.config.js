/**
 * Two projects: `unit` (pure core and the CLI as a process; no root) and `e2e` (a namespace lab with
 * real sshd; needs root, run in band because the lab's addresses are shared).
 */
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: {'^(\\.{1,2}/.*)\\.js$': '$1'},
  transform: {'^.+\\.ts$': ['ts-jest', {useESM: true, tsconfig: 'tsconfig.json'}]},
};

export default {
  verbose: true,
  reporters: ['default', '<rootDir>/test/e2e-summary-reporter.mjs'],
  testTimeout: 60000,
  projects: [
    {...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/cli/**/*.test.ts']},
    {...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], globalSetup: '<rootDir>/test/e2e/global-setup.mjs'},
  ],
};
