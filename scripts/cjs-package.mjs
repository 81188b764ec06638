/**
 * The last step of `npm run build`: marks dist/cjs as CommonJS. The package is `"type": "module"`,
 * so without this `package.json` Node would load the `require` build's `.js` files as ES modules.
 */
import { writeFileSync } from 'node:fs';

writeFileSync(
  new URL('../dist/cjs/package.json', import.meta.url),
  `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`,
);
