import { createRequire } from 'node:module';

/**
 * Set-up of every test file in the Nest 11 run (`jest.nest11.config.js`): fails the file unless
 * the mapping is in force, so that a broken mapping cannot pass the suite on Nest 12 unnoticed.
 * Jest's `require` resolves through its `moduleNameMapper`, as the tests' imports do.
 */
const require = createRequire(import.meta.url);
for (const name of [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/terminus',
  '@nestjs/swagger',
]) {
  const { version } = require(`${name}/package.json`) as { version: string };
  if (!version.startsWith('11.')) {
    throw new Error(`the Nest 11 run loaded ${name} ${version}: check NEST11_NODE_MODULES`);
  }
}
