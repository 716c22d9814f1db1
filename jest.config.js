/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/tests/support/mongoGlobalSetup.ts',
  globalTeardown: '<rootDir>/tests/support/mongoGlobalTeardown.ts',
  reporters: ['default', '<rootDir>/tests/support/mongoTestCountReporter.js'],
  // Every supertest answer of every suite is checked against the OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/tests/support/openApiSetup.ts'],
  transform: { "^.+\\.ts$": "ts-jest" },
};
