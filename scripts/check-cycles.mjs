#!/usr/bin/env node
// `npm run lint:cycles`: fails when src/ has an import cycle, type-only imports included
// (DESIGN.md, "The house"). dpdm parses every file with the TypeScript parser, without dropping
// types (`transform: false`), and resolves `./x.js` to `./x.ts` with TypeScript's own module
// resolution and our tsconfig.json. It sees `import`, `import type`, `import { type X }`,
// `export ... from` and `import('…')` calls; the one form it misses, a type written as
// `import('./x.js').X`, is refused in src/ by eslint.config.js.
//
// A relative import that does not resolve fails too: an edge the check cannot follow could hide a
// cycle behind it. So does a `@dpdm-ignore` comment, which would silence an edge.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import dpdm from 'dpdm';

const root = process.cwd();
// dpdm names files relative to `context` (here the root); make sure of it.
const show = (file) => relative(root, resolve(root, file));

const tree = await dpdm.parseDependencyTree('src/**/*.ts', {
  context: root,
  tsconfig: 'tsconfig.json',
  transform: false,
  skipDynamicImports: false,
});

// The tree also holds what src/ imports from node_modules and node: (not followed).
const files = Object.keys(tree).filter((file) => show(file).startsWith('src/'));
const problems = [];
for (const file of files) {
  for (const dependency of tree[file]) {
    if (dependency.id === null && dependency.request.startsWith('.')) {
      problems.push(`cannot resolve '${dependency.request}' in ${show(file)}`);
    }
  }
  if (readFileSync(file, 'utf8').includes('@dpdm-ignore')) {
    problems.push(`${show(file)}: @dpdm-ignore hides an import from this check`);
  }
}

const cycles = dpdm.parseCircular(tree, false);
cycles.forEach((cycle, index) => {
  problems.push(`cycle ${index + 1}: ${[...cycle, cycle[0]].map(show).join(' -> ')}`);
});

const checked = files.length;
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${cycles.length} import cycle(s) in src/ (${checked} files checked)`);
  process.exit(1);
}
console.log(`no import cycle in src/ (${checked} files checked)`);
