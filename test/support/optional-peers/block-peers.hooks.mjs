// Resolve hook of block-peers.mjs (runs on the loader thread).
let blocked = new Set();
let port;

export function initialize(data) {
  blocked = new Set(data.blocked);
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  const name = packageName(specifier);
  if (name && blocked.has(name)) {
    port.postMessage(name);
    const error = new Error(
      `Cannot find package '${name}' imported from ${context.parentURL ?? 'the entry point'}`,
    );
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}

function packageName(specifier) {
  if (/^(\.|\/|[a-z]+:)/i.test(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
