import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** A `redis-server` started by the tests: no disk, bound to loopback, on its own port. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Sends SIGTERM and resolves once the process has exited. */
  stop(): Promise<void>;
  /** Sends SIGKILL (a crash) and resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port (stopping the running one first, if any). */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5000;
const PING_INTERVAL_MS = 20;
const PING_TIMEOUT_MS = 500;
const PORT_ATTEMPTS = 3;
const OUTPUT_KEPT = 4096; // characters of the server's output kept for error messages

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it ("apt-get install -y redis-server" on ' +
  'Debian/Ubuntu, "brew install redis" on macOS), or set REDIS_URL to a Redis the tests may use.';

/** Options of `startRedisServer()`. */
export interface RedisServerOptions {
  /** The port to use. Default: a free one. */
  port?: number;
  /** More command-line arguments, given the chosen port (cluster mode, for instance). */
  args?: (port: number) => string[];
  /** A config file, given first (a sentinel needs one it can write). Default: none. */
  configFile?: string;
}

/** What a server is started with, besides its port and the defaults. */
interface LaunchSpec {
  configFile?: string;
  extra: string[];
}

/**
 * Starts a real `redis-server` on a free port (or `opts.port`) and resolves once it answers PING.
 * It keeps nothing on disk and dies with the test process.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findOnPath('redis-server');
  if (!binary) throw new Error(INSTALL_HINT);
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const port = opts.port ?? (await freePort());
    try {
      const spec = { configFile: opts.configFile, extra: opts.args?.(port) ?? [] };
      const server = await launch(binary, port, spec);
      return makeHandle(binary, port, spec, server);
    } catch (error) {
      // Another process may have taken the free port between our probe and the spawn.
      if (opts.port !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

function makeHandle(
  binary: string,
  port: number,
  spec: LaunchSpec,
  first: RunningServer,
): RedisServerHandle {
  let current: RunningServer | null = first;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const server = current;
    current = null;
    if (server) await server.terminate(signal);
  };
  return {
    url: `redis://${HOST}:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      current = await launch(binary, port, spec);
    },
  };
}

interface RunningServer {
  terminate(signal: NodeJS.Signals): Promise<void>;
}

async function launch(binary: string, port: number, spec: LaunchSpec): Promise<RunningServer> {
  const args = [
    ...(spec.configFile ? [spec.configFile] : []),
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
    '--loglevel',
    'warning',
    ...spec.extra,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A spawn failure emits 'error' and may never emit 'exit'.
    child.once('error', () => resolve());
  });
  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
  });
  // Never leave an orphan server behind when the test process ends without stopping it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    if (isRunning(child)) child.kill(signal);
    await exited;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitedEarly) {
      throw new Error(
        `redis-server on port ${port} exited before it was ready (code ${String(child.exitCode)}):\n${output}`,
      );
    }
    if (await pingOnce(port)) return { terminate };
    if (Date.now() >= deadline) {
      await terminate('SIGKILL');
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    await delay(PING_INTERVAL_MS);
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

/** One raw-protocol PING: resolves true on `+PONG`, false on any error, refusal or timeout. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PING_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** A port that was free a moment ago: bind port 0 on loopback, read it, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe server'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
