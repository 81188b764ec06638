// Summarises a V8 .cpuprofile: self time per function and per package.
import { relative, sep } from 'node:path';

const ROOT = process.cwd();

/** Where a function lives, short: `jsonwebtoken/verify.js`, `dist/token.service.js`, `node:…`. */
function place(url) {
  if (!url) return '';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (modules >= 0) return path.slice(modules + 14);
  if (path.startsWith(ROOT)) return relative(ROOT, path);
  return path;
}

/** The package a place belongs to: `jsonwebtoken`, `@nestjs/core`, `library (dist)`, `node`. */
function packageOf(where, name) {
  if (!where) return name.startsWith('(') ? name : 'V8 / native';
  if (where.startsWith('node:')) return 'node (built-in modules)';
  if (where.startsWith('dist/')) return 'nest-redis-sessions (dist)';
  if (where.startsWith('sample-app/')) return 'sample app';
  const parts = where.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * `{ totalMs, busyMs, functions, packages, callers }`: self time per function, per package, and per
 * package with the native and node-internal frames it called charged to it (`callers`).
 */
export function summarise(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map(); // node id -> microseconds
  const { samples, timeDeltas } = profile;
  // A sample lasts until the next one (as DevTools counts it); the last one until endTime.
  let time = profile.startTime;
  const stamps = timeDeltas.map((delta) => (time += delta));
  for (let i = 0; i < samples.length; i += 1) {
    const end = i + 1 < stamps.length ? stamps[i + 1] : profile.endTime;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, end - stamps[i]));
  }
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Native and node-internal frames charged to the nearest caller that lives in a package.
  const ownerOf = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const pkg = packageOf(place(byId.get(at).callFrame.url), byId.get(at).callFrame.functionName);
      if (pkg !== 'V8 / native' && pkg !== 'node (built-in modules)') return pkg;
    }
    return '(no JS caller: event loop, I/O)';
  };
  const functions = new Map();
  const packages = new Map();
  const callers = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    const where = place(url);
    const key = `${name} ${where}:${lineNumber + 1}`;
    const entry = functions.get(key) ?? {
      name,
      where: where ? `${where}:${lineNumber + 1}` : '',
      us: 0,
    };
    entry.us += us;
    functions.set(key, entry);
    const pkg = packageOf(where, name);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const owner = ownerOf(id);
    callers.set(owner, (callers.get(owner) ?? 0) + us);
    total += us;
  }
  const idle = packages.get('(idle)') ?? 0;
  const busy = total - idle;
  const share = (us) => (busy > 0 ? us / busy : 0);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    functions: [...functions.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    packages: ranked(packages, share),
    callers: ranked(callers, share),
  };
}

function ranked(map, share) {
  return [...map.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, ms: us / 1000, share: share(us) }));
}
