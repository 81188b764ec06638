import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const MAIN = resolve('sample-app/dist/main.js');

/** The built sample app running in a child process of its own (`node sample-app/dist/main.js`). */
export interface SampleProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the built sample app on a free port with `env` added to this process's environment, and
 * resolves once it logs its URL. Needs `npm run build:sample` first (npm test's `pretest` does it).
 */
export async function startSampleProcess(env: Record<string, string>): Promise<SampleProcess> {
  if (!existsSync(MAIN)) {
    throw new Error(
      'sample-app/dist/main.js is missing: run `npm run build:sample` (or `npm test`)',
    );
  }
  // Only what the test gives: the run's own REDIS_URL / REDIS_CLUSTER_NODES must not leak in.
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...inherited, NO_COLOR: '1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sample app did not start:\n${output}`)),
      15_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sample app exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
