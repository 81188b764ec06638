// Redis-side counters of the bench: INFO commandstats deltas, and a MONITOR census that tells the
// commands a client sent (round trips) from the commands that ran inside a Lua script.
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** `INFO commandstats` as `{ command: { calls, usec } }`. */
export async function commandStats(client) {
  const stats = {};
  for (const line of (await client.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (match) stats[match[1]] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

/** CPU seconds (user + system) Redis has used so far, from `INFO cpu`. */
export async function redisCpuSeconds(client) {
  const info = await client.info('cpu');
  const read = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return read('used_cpu_sys') + read('used_cpu_user');
}

/** Calls per command between two snapshots, without the bench's own INFO calls. */
export function statsDelta(before, after) {
  const delta = {};
  for (const [command, { calls, usec }] of Object.entries(after)) {
    if (command === 'info') continue;
    const d = calls - (before[command]?.calls ?? 0);
    if (d > 0) delta[command] = { calls: d, usec: usec - (before[command]?.usec ?? 0) };
  }
  return delta;
}

/** `{ total, perCommand: 'evalsha 1.00, …' }` per request, from a delta and a request count. */
export function perRequest(delta, requests) {
  const entries = Object.entries(delta).sort((a, b) => b[1].calls - a[1].calls);
  const total = entries.reduce((sum, [, { calls }]) => sum + calls, 0) / requests;
  const perCommand = entries
    .map(([command, { calls }]) => `${command} ${(calls / requests).toFixed(2)}`)
    .join(', ');
  return { total, perCommand };
}

/**
 * Runs `action` (sequential requests, `count` of them) under MONITOR and returns the commands per
 * request split by origin: `client` (sent by the app: one round trip each, auto-pipelined or not)
 * and `script` (run inside a Lua script).
 */
export async function monitorCensus(url, count, action) {
  const monitor = await new Redis(url).monitor();
  const client = {};
  const script = {};
  monitor.on('monitor', (_time, args, source) => {
    const command = String(args[0]).toLowerCase();
    if (command === 'monitor') return;
    const bucket = source === 'lua' ? script : client;
    bucket[command] = (bucket[command] ?? 0) + 1;
  });
  await action();
  // MONITOR lines of the last requests may still be on their way.
  await delay(200);
  monitor.disconnect();
  const describe = (bucket) => {
    const entries = Object.entries(bucket).sort((a, b) => b[1] - a[1]);
    return {
      total: entries.reduce((sum, [, n]) => sum + n, 0) / count,
      perCommand: entries.map(([c, n]) => `${c} ${(n / count).toFixed(2)}`).join(', '),
    };
  };
  return { client: describe(client), script: describe(script) };
}
