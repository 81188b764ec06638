// The processes of a bench run: its own redis-server, the built sample app, the load generator.
// Same approach as test/support/redis-server.ts (no jest code here): a free port on loopback,
// nothing on disk, ready once it answers PING, killed when the bench exits.
import { execFileSync, fork, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const children = new Set();

// Never leave a redis-server or an app behind, whatever way the bench ends.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

let clockTicks;

/** CPU seconds (user + system) a process has used so far, or `undefined` off Linux. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** A port that was free a moment ago. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** One raw-protocol PING: true on `+PONG`, false on refusal, error or timeout. */
function pingOnce(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return null;
}

/** Starts a throw-away redis-server; resolves to `{ url, port, version, client, stop }`. */
export async function startRedis() {
  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new Error(
      'redis-server was not found on PATH ("apt-get install -y redis-server", "brew install redis")',
    );
  }
  const port = await freePort();
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
  args.push('--protected-mode', 'no', '--loglevel', 'warning');
  const child = track(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await pingOnce(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING:\n${output}`);
    await delay(20);
  }
  const client = new Redis({ host: HOST, port });
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return {
    url: `redis://${HOST}:${port}`,
    port,
    version,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((done) => child.once('exit', done));
    },
  };
}

const MAIN = resolve('sample-app/dist/main.js');

/**
 * Starts the built sample app (`node sample-app/dist/main.js`) with `env`; resolves once it logs
 * its URL. `nodeArgs` go before the script (`--import` of the profiler hook); `ipc` opens a channel.
 */
export async function startApp(env, options = {}) {
  if (!existsSync(MAIN))
    throw new Error('sample-app/dist/main.js is missing: npm run build:sample');
  return startServer(MAIN, env, options);
}

/**
 * Starts `node <script>` with `env` (and `PORT=0` unless given); resolves to `{ url, child,
 * output, stop }` once the script logs `Listening on http://…` on stdout or stderr.
 */
export async function startServer(script, env, { nodeArgs = [], ipc = false } = {}) {
  const child = track(
    spawn(process.execPath, [...nodeArgs, script], {
      env: { ...process.env, NO_COLOR: '1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
    }),
  );
  let output = '';
  const url = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /Listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1].replace('localhost', HOST));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The load generator (load.mjs) in a process of its own, driven over IPC. */
export function startLoad() {
  const child = track(fork(resolve('bench/lib/load.mjs'), [], { stdio: 'inherit' }));
  const request = (message, expected) =>
    new Promise((done, fail) => {
      const onMessage = (reply) => {
        child.off('exit', onExit);
        if (reply.type === 'error') fail(new Error(`load generator: ${reply.message}`));
        else if (reply.type !== expected) fail(new Error(`load generator said ${reply.type}`));
        else done(reply);
      };
      const onExit = (code) => {
        child.off('message', onMessage);
        fail(new Error(`load generator exited with ${code}`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  return {
    // `credentials`: the headers each connection sends (scenarios with `auth: 'given'`).
    prepare: (url, scenario, connections, credentials) =>
      request({ type: 'prepare', url, scenario, connections, credentials }, 'prepared'),
    run: async (seconds) => (await request({ type: 'run', seconds }, 'result')).result,
    stop() {
      child.kill('SIGTERM');
    },
  };
}
