/**
 * The e2e suite against Nest 11: the tests and sources of `jest.config.js`, with every import of
 * the Nest packages below (from src/, the tests, the sample app and the libraries they load, such
 * as @nestjs/passport) mapped to the Nest 11 install in `NEST11_NODE_MODULES`.
 * `scripts/nest11-check.sh` makes that install in a temporary folder and runs this.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import base, { redis, shared } from './jest.config.js';

const modules = process.env.NEST11_NODE_MODULES;
if (!modules || !existsSync(join(modules, '@nestjs/core/package.json'))) {
  throw new Error(
    'NEST11_NODE_MODULES must name a node_modules folder holding Nest 11 ' +
      '(`npm run test:nest11` installs one in a temporary folder)',
  );
}

// scripts/nest11-check.sh installs these (in their majors for Nest 11): keep the two lists alike.
const NEST_11 = [
  'common',
  'core',
  'testing',
  'platform-express',
  'platform-fastify',
  'websockets',
  'platform-socket.io',
  'platform-ws',
];
// Optional peers that the sample app and the tests load, in their majors for Nest 11. Not
// @nestjs/graphql: its 13 would need a graphql of its own, and 14 runs on Nest 11 as it is.
const PEERS_FOR_NEST_11 = ['terminus', 'swagger'];
const names = [...NEST_11, ...PEERS_FOR_NEST_11].map((name) => name.replaceAll('.', '\\.'));

// Two answers differ on Nest 11 in their message only (README, "Nest 11 and CommonJS"): Nest 11
// does not wrap body-parser's 413 and 415 errors in an HttpException, and wraps Fastify's without
// their cause, so SafeErrorFilter cannot give them the status text as their message.
const DIFFERENT_ON_NEST_11 = [
  'a body over the size limit',
  'a compressed body with 415',
  // The same two errors, in the test that they carry CORS headers (cross-site.e2e).
  'error answer to a body over 100 KiB',
  'error answer to a charset it cannot read',
];

// One config, not the projects of jest.config.js: their shared settings, Redis and the timeout.
export default {
  ...shared,
  ...redis,
  testTimeout: base.testTimeout,
  moduleNameMapper: {
    [`^@nestjs/(${names.join('|')})(/.*)?$`]: `${modules}/@nestjs/$1$2`,
    ...shared.moduleNameMapper,
  },
  setupFiles: ['<rootDir>/test/support/nest11.setup.ts'],
  testNamePattern: `^(?!.*(?:${DIFFERENT_ON_NEST_11.join('|')})).*$`,
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.spec.ts'],
  // This one starts the built sample app (sample-app/dist) as a child process, which loads Nest
  // from the repository's node_modules, not through this mapping.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/rate-limit\\.e2e\\.spec\\.ts$'],
};
