/**
 * Jest in ESM mode with @swc/jest (see shared/STYLE.md), one project per test folder. Projects
 * are defined by directory, so a file moved inside a folder needs no change here.
 *
 * `npm run test:unit` runs the `unit` project alone (`--selectProjects unit`): no build, no Redis.
 * Its trailing `--no-watchman` (no effect without watchman) is there so that a path given after
 * it (`npm run test:unit -- test/unit/duration`) is not read as one more project name.
 * `npm test` runs every project in band; `npm test -- --selectProjects e2e` runs one of them.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** What every project shares: the transform and the imports by package name. */
export const shared = {
  rootDir: import.meta.dirname,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^nest-redis-sessions$': '<rootDir>/src/index.ts',
    '^nest-redis-sessions/health$': '<rootDir>/src/health/index.ts',
    '^nest-redis-sessions/openapi$': '<rootDir>/src/openapi/index.ts',
    '^nest-redis-sessions/passport$': '<rootDir>/src/passport/index.ts',
    '^nest-redis-sessions/testing$': '<rootDir>/src/testing/index.ts',
    '^nest-redis-sessions/ws$': '<rootDir>/src/ws/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

/**
 * A throw-away redis-server and a three-node cluster (or REDIS_URL / REDIS_CLUSTER_NODES), for
 * the projects that need Redis. Jest runs a project's global setup only when one of its tests is
 * selected, and runs each distinct setup (and teardown) file once per run, however many projects
 * name it: all setups before the first test, all teardowns after the last.
 */
export const redis = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** One project: the spec files anywhere under `test/<folder>/`. */
function project(folder, options = {}) {
  return {
    ...shared,
    ...options,
    displayName: folder,
    testMatch: [`<rootDir>/test/${folder}/**/*.spec.ts`],
  };
}

export default {
  // Global option (jest-circus reads it from the global config, not from a project).
  testTimeout: 30000,
  projects: [
    project('unit'),
    project('contract', redis),
    project('integration', redis),
    project('e2e', redis),
    project('security', redis),
    project('browser', redis),
  ],
};
