// In-process: CPU per SessionVerifier.authenticate (verify + readLive + principal), no HTTP, on
// this tree's dist/ (`npm run build` first) and the Redis at REDIS_URL (default 127.0.0.1:6379).
//   node bench/pipeline.mjs            strict: one HMGET per check
//   CACHE_MS=5000 node bench/pipeline.mjs   with the revocation cache
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
const { SessionModule, SessionService } = await import('../dist/index.js');
const { SessionVerifier } = await import('../dist/guards/session-verifier.js');
const cacheMs = Number(process.env.CACHE_MS ?? 0);
const opts = {
  accessToken: { secret: 'Qx7vK2pLm9Zr4TbW8yNc3HsJd6FgA1eU5iOoXq0wVtRkYl', ttl: '15m' },
  refreshToken: { secret: 'Zp3Lm8Qx2vK7rT4bW9yNc6HsJd1FgA5eU0iOoXq3wVtRkYb', ttl: '7d' },
  redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: 'micro:' },
  ...(cacheMs ? { revocation: { cacheMs } } : {}),
};
class M {}
Module({ imports: [SessionModule.forRoot(opts)] })(M);
const app = await NestFactory.createApplicationContext(M, { logger: false, abortOnError: false });
const sessions = app.get(SessionService);
const verifier = app.get(SessionVerifier);
const C = 50;
const reqs = [];
for (let i = 0; i < C; i++) {
  const s = await sessions.create({ id: `user-${i}` }, { userAgent: 'Mozilla/5.0 bench' });
  reqs.push({ headers: { authorization: `Bearer ${s.accessToken}` }, method: 'GET' });
}
async function worker(req, n) {
  for (let i = 0; i < n; i++) await verifier.authenticate(req);
}
async function round(n) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(reqs.map((r) => worker(r, n)));
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  return { cpuUs: (cpu.user + cpu.system) / (n * C), wallUs: (ms * 1000) / (n * C) };
}
await round(200);
const out = [];
for (let k = 0; k < 5; k++) out.push(await round(400));
out.sort((a, b) => a.cpuUs - b.cpuUs);
console.log(
  `authenticate cacheMs=${cacheMs}: cpu/call median ${out[2].cpuUs.toFixed(1)} µs (min ${out[0].cpuUs.toFixed(1)}), wall ${out[2].wallUs.toFixed(1)} µs`,
);
await app.close();
process.exit(0);
