#!/usr/bin/env bash
# The package on Nest 11 and CommonJS (README, "Nest 11 and CommonJS"). Needs the library and the
# sample app built first (`npm run build:sample`; `npm run test:nest11` does both). In a temporary
# folder, deleted on exit, it installs Nest 11 and the packed package from the npm registry, then:
#   0. checks what the tarball holds (both builds and the bin; no tests, sources or sample app);
#   1. compiles test/nest11/cjs-app.ts as a CommonJS Nest 11 app (also type-checked with
#      skipLibCheck off) and runs it: login, /me, refresh, logout, /health and the OpenAPI
#      document over real HTTP against real Redis (REDIS_URL, or a redis-server of its own);
#   2. runs the e2e suite with every import of Nest's packages (common, core, testing, the HTTP and
#      WebSocket platforms, and the optional peers terminus and swagger) mapped to that Nest 11
#      install (jest.nest11.config.js).
# Exits non-zero when any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ ! -f dist/index.js ] || [ ! -f dist/cjs/index.js ] || [ ! -f dist/cjs/package.json ]; then
  echo "dist/ lacks the ESM or the CommonJS build: run \`npm run build:sample\` first" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nest11-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS
step() { echo "== nest11: $1 ($((SECONDS - started)) s)"; }

step "packing the package"
tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n 1)
# What an app installs: the two builds and the bin, never the tests, the sample app or sources.
contents=$(tar -tzvf "$tmp/$tarball")
for file in dist/index.js dist/index.d.ts dist/cjs/index.js dist/cjs/index.d.ts \
  dist/cjs/package.json bin/nest-redis-sessions-secret.js; do
  grep -q " package/$file$" <<<"$contents" || { echo "the tarball lacks $file" >&2; exit 1; }
done
for subpath in health openapi passport testing ws; do
  for file in "dist/$subpath/index.js" "dist/$subpath/index.d.ts" "dist/cjs/$subpath/index.js"; do
    grep -q " package/$file$" <<<"$contents" || { echo "the tarball lacks $file" >&2; exit 1; }
  done
done
if grep -E " package/(src|test|sample-app|scripts|bench|docs|node_modules)/| package/(.*/)?\.env" <<<"$contents"; then
  echo "the tarball holds files an app does not need (above)" >&2
  exit 1
fi
grep -qE '^-rwx.* package/bin/nest-redis-sessions-secret\.js$' <<<"$contents" || {
  echo "bin/nest-redis-sessions-secret.js is not executable in the tarball" >&2
  exit 1
}

step "installing Nest 11 and $tarball in $tmp"
cd "$tmp"
printf '{ "name": "nest11-check", "private": true, "type": "commonjs" }\n' >package.json
# The @nestjs packages here are the ones jest.nest11.config.js maps: keep the two lists alike.
npm install --no-audit --no-fund --no-package-lock --loglevel=error \
  @nestjs/common@11 @nestjs/core@11 @nestjs/platform-express@11 @nestjs/platform-fastify@11 \
  @nestjs/testing@11 @nestjs/websockets@11 @nestjs/platform-socket.io@11 @nestjs/platform-ws@11 \
  @nestjs/terminus@11 @nestjs/swagger@11 reflect-metadata@0.2 rxjs@7 ioredis@6 @types/node@20 \
  "./$tarball"
node -e "
const v = (p) => JSON.parse(require('fs').readFileSync('node_modules/' + p + '/package.json')).version;
console.log('@nestjs/core', v('@nestjs/core'), '| fast-jwt', v('fast-jwt'),
  '| node', process.version);
if (!v('@nestjs/core').startsWith('11.') || !v('@nestjs/common').startsWith('11.')) process.exit(1);
"

step "compiling the CommonJS app (module nodenext, CommonJS package)"
mkdir -p app/nest11 app/support
cp "$root/test/nest11/cjs-app.ts" app/nest11/
cp "$root/test/support/redis-server.ts" app/support/
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "types": ["node"],
    "rootDir": "app",
    "outDir": "build"
  },
  "include": ["app"]
}
EOF
tsc="$root/node_modules/.bin/tsc"
"$tsc" -p tsconfig.json
grep -q "require(\"nest-redis-sessions\")" build/nest11/cjs-app.js || {
  echo "the compiled app does not require() the package" >&2
  exit 1
}
# Older Nest 11 apps compile with `module: commonjs` (node10 resolution: `types`, `typesVersions`).
"$tsc" -p tsconfig.json --noEmit --module commonjs --moduleResolution node10 --ignoreDeprecations 6.0
# Without skipLibCheck, every declaration the package's types import must resolve from what it
# brings (its @types dependencies) and its peers.
"$tsc" -p tsconfig.json --noEmit --skipLibCheck false
"$tsc" -p tsconfig.json --noEmit --module commonjs --moduleResolution node10 --ignoreDeprecations 6.0 \
  --skipLibCheck false

step "running the CommonJS app"
node build/nest11/cjs-app.js

step "running the e2e suite on Nest 11"
cd "$root"
# Bounded: a hung run must fail CI, not run it past its time limit.
NEST11_NODE_MODULES="$tmp/node_modules" timeout 1500 node --experimental-vm-modules node_modules/jest/bin/jest.js \
  -c jest.nest11.config.js --runInBand

step "done"
