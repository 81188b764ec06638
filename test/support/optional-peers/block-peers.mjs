// Preloaded with `node --import`: makes the packages listed in BLOCKED_PACKAGES (comma-separated)
// unresolvable, as if they were not installed. ESM `import` and `import()` go through a resolve
// hook (module.register); CommonJS `require` through Module._resolveFilename, which the ESM hooks
// do not see on Node 20. Every blocked attempt is announced on stderr as `BLOCKED <package>`.
import Module, { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const blocked = (process.env.BLOCKED_PACKAGES ?? '').split(',').filter(Boolean);
const announce = (name) => process.stderr.write(`BLOCKED ${name}\n`);

const { port1, port2 } = new MessageChannel();
port1.on('message', announce);
port1.unref();
register('./block-peers.hooks.mjs', {
  parentURL: import.meta.url,
  data: { blocked, port: port2 },
  transferList: [port2],
});

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const name = packageName(request);
  if (name && blocked.includes(name)) {
    announce(name);
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};

/** `@scope/name` or `name` of a bare specifier, else `null` (relative, absolute, node:, file:). */
function packageName(specifier) {
  if (/^(\.|\/|[a-z]+:)/i.test(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
