/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // ESM-only packages are transpiled to CommonJS for jest's module registry.
  transformIgnorePatterns: [
    '/node_modules/(?!(hyparquet|hyparquet-compressors|hysnappy|hyparquet-compressors|fzstd|pako|lz4js|aws-local-stepfunctions)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 60000,
};
