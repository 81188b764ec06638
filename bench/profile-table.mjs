// Turns the CPU profiles of `npm run bench -- --profile` into one table: µs per request by part
// (native and node-internal frames charged to the package that called them). Usage:
//   node bench/profile-table.mjs <profile dir> <row id>=<requests> ...
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarise } from './lib/cpuprofile.mjs';

const PARTS = [
  ['this library', (name) => name.startsWith('nest-redis-sessions')],
  ['fast-jwt', (name) => name === 'fast-jwt'],
  ['ioredis', (name) => name === 'ioredis' || name.startsWith('@ioredis') || name === 'denque'],
  ['Nest', (name) => name.startsWith('@nestjs/') || name === 'reflect-metadata' || name === 'rxjs'],
  [
    'HTTP platform',
    (name) =>
      /^(express|router|body-parser|cors|fastify|@fastify\/|find-my-way|light-my-request|avvio)/.test(
        name,
      ) ||
      [
        'parseurl',
        'on-finished',
        'content-type',
        'send',
        'type-is',
        'raw-body',
        'finalhandler',
        'vary',
        'toad-cache',
      ].includes(name),
  ],
  ['sample app', (name) => name === 'sample app'],
  ['GC', (name) => name === '(garbage collector)'],
];
const OTHER = 'other (Node core, V8, the rest)';

const [dir, ...rows] = process.argv.slice(2);
const header = ['row', 'busy µs / request', ...PARTS.map(([part]) => part), OTHER];
const lines = [header, header.map(() => '---')];
for (const spec of rows) {
  const [id, requests] = spec.split('=');
  const summary = summarise(JSON.parse(readFileSync(join(dir, `${id}.cpuprofile`), 'utf8')));
  const perRequest = (ms) => (ms * 1000) / Number(requests);
  const sums = new Map([...PARTS.map(([part]) => [part, 0]), [OTHER, 0]]);
  for (const { name, ms } of summary.callers) {
    const part = PARTS.find(([, matches]) => matches(name))?.[0] ?? OTHER;
    sums.set(part, sums.get(part) + perRequest(ms));
  }
  lines.push([
    id,
    perRequest(summary.busyMs).toFixed(0),
    ...[...sums.values()].map((v) => v.toFixed(1)),
  ]);
}
process.stdout.write(`${lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')}\n`);
