import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { ACCESS_SECRET, REFRESH_SECRET } from '../support/session-app.js';

const BUILT = [resolve('dist/index.js'), resolve('dist/cjs/index.js')];
const APP = resolve('test/support/optional-peers/app.mjs');
const BLOCKER = resolve('test/support/optional-peers/block-peers.mjs');

/**
 * Every optional peer dependency of the library (and the packages they bring), plus the sample
 * app's own extras: an app that installs none of them must start and serve sessions.
 */
const OPTIONAL_PEERS = [
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@nestjs/mercurius',
  '@apollo/server',
  'graphql',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  '@nestjs/platform-ws',
  'socket.io',
  'ws',
  '@nestjs/event-emitter',
  '@nestjs/terminus',
  '@nestjs/swagger',
  '@nestjs/platform-fastify',
  '@fastify/cookie',
  'fastify',
  'jose',
  '@nestjs/throttler',
  '@nestjs/passport',
  'passport',
  'passport-jwt',
];

interface RunResult {
  code: number | null;
  output: string;
  result: Record<string, unknown>;
}

type LoadWith = 'import' | 'require';

/**
 * Runs the plain-JavaScript app on the built package, with `blocked` unresolvable: `import` loads
 * the ESM build (dist/), `require` the CommonJS one (dist/cjs/), as a CommonJS app would.
 */
function runApp(prefix: string, blocked: string[], loadWith: LoadWith): Promise<RunResult> {
  const args = blocked.length > 0 ? ['--import', BLOCKER, APP] : [APP];
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH,
      NO_COLOR: '1',
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: prefix,
      ACCESS_SECRET,
      REFRESH_SECRET,
      BLOCKED_PACKAGES: blocked.join(','),
      LOAD_WITH: loadWith,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the app did not finish:\n${output}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = /^RESULT (.*)$/m.exec(output);
      if (!line) return fail(new Error(`the app printed no result (exit ${code}):\n${output}`));
      done({ code, output, result: JSON.parse(line[1]) as Record<string, unknown> });
    });
  });
}

/** What the app sees over HTTP when the library works. */
const SESSIONS_WORK = {
  login: 201,
  me: { status: 200, body: { userId: 'alice', sessionId: expect.any(String) } },
  meWithoutToken: 401,
  refresh: { status: 200, sameSession: true },
  sessions: { status: 200, count: 1 },
  logout: 204,
  afterLogout: 401,
};

/** How a missing package fails to load: Node's ESM and CommonJS errors differ. */
const MISSING: Record<LoadWith, { code: string; message: (name: string) => RegExp }> = {
  import: {
    code: 'ERR_MODULE_NOT_FOUND',
    message: (name) => new RegExp(`^Cannot find package '${name}' imported from `),
  },
  require: {
    code: 'MODULE_NOT_FOUND',
    message: (name) => new RegExp(`^Cannot find module '${name}'`),
  },
};

describe.each<LoadWith>(['import', 'require'])('optional peer dependencies (%s)', (loadWith) => {
  const missing = MISSING[loadWith];
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    if (!BUILT.every((file) => existsSync(file))) {
      throw new Error('dist/ lacks a build: run `npm run build` (or `npm test`)');
    }
    redis = createTestClient();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteByPrefix(redis, prefix);
    await redis?.quit();
  });

  function prefix(name: string): string {
    const value = uniquePrefix(name);
    prefixes.push(value);
    return value;
  }

  it('the built library starts and serves sessions when none of them is installed', async () => {
    const run = await runApp(prefix('no-peers'), OPTIONAL_PEERS, loadWith);
    expect({ code: run.code, ...run.result, imports: undefined }).toEqual({
      code: 0,
      cjsBuildLoaded: loadWith === 'require',
      ...SESSIONS_WORK,
      imports: undefined,
    });
    // Nothing is logged as an error for a peer that is simply not there.
    expect(run.output).not.toMatch(/\bERROR\b/);
    const imports = run.result.imports as Record<string, { ok: boolean; code?: string }>;
    // The block is real: the app itself cannot import them.
    expect(imports['@nestjs/terminus']).toMatchObject({ ok: false, code: missing.code });
    expect(imports['@nestjs/swagger']).toMatchObject({ ok: false, code: missing.code });
    expect(imports['@nestjs/passport']).toMatchObject({ ok: false, code: missing.code });
    // The subpaths without an optional peer load all the same.
    expect(imports['nest-redis-sessions/testing']).toEqual({ ok: true });
    expect(imports['nest-redis-sessions/ws']).toEqual({ ok: true });
  });

  it('the /health, /openapi and /passport subpaths fail to import, naming the missing peer', async () => {
    const run = await runApp(prefix('subpaths'), OPTIONAL_PEERS, loadWith);
    const imports = run.result.imports as Record<string, unknown>;
    expect(imports['nest-redis-sessions/health']).toEqual({
      ok: false,
      code: missing.code,
      message: expect.stringMatching(missing.message('@nestjs/terminus')),
    });
    expect(imports['nest-redis-sessions/openapi']).toEqual({
      ok: false,
      code: missing.code,
      message: expect.stringMatching(missing.message('@nestjs/swagger')),
    });
    expect(imports['nest-redis-sessions/passport']).toEqual({
      ok: false,
      code: missing.code,
      // Whichever of its two peers the loader resolves first.
      message: expect.stringMatching(missing.message('(?:@nestjs/)?passport')),
    });
  });

  it('with them installed, the same app works and the subpaths load (the check itself works)', async () => {
    const run = await runApp(prefix('with-peers'), [], loadWith);
    expect({ code: run.code, ...run.result }).toEqual({
      code: 0,
      cjsBuildLoaded: loadWith === 'require',
      ...SESSIONS_WORK,
      imports: {
        'nest-redis-sessions/health': { ok: true },
        'nest-redis-sessions/openapi': { ok: true },
        'nest-redis-sessions/passport': { ok: true },
        'nest-redis-sessions/testing': { ok: true },
        'nest-redis-sessions/ws': { ok: true },
        '@nestjs/terminus': { ok: true },
        '@nestjs/swagger': { ok: true },
        '@nestjs/passport': { ok: true },
      },
    });
  });
});
