import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';

/**
 * package.json against what src/ really imports: what an app installs with the package (its
 * `dependencies`) is what the library loads at run time, and what its type declarations import
 * resolves from the package's own dependencies and peers (`skipLibCheck: false` in an app, or a
 * strict package manager such as pnpm, sees nothing else).
 */
interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const ROOT = resolve('.');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const dependencies = Object.keys(manifest.dependencies);
const peers = Object.keys(manifest.peerDependencies);
const optionalPeers = peers.filter((name) => manifest.peerDependenciesMeta[name]?.optional);

/** Optional peers that a subpath imports statically: only files under that folder may. */
const SUBPATH_PEERS: Record<string, string> = {
  '@nestjs/terminus': 'src/health/',
  '@nestjs/swagger': 'src/openapi/',
  '@nestjs/passport': 'src/passport/',
  passport: 'src/passport/',
};

interface Import {
  file: string;
  name: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `@scope/name` or `name` of a bare specifier. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The static `import`/`export … from` statements of src/ that name a package. */
function packageImports(): Import[] {
  const statement = /^(?:import|export)\s+(type\s+)?(?:([^;]*?)\s+from\s+)?'([^'.][^']*)';/gms;
  return sourceFiles(join(ROOT, 'src')).flatMap((path) => {
    const file = relative(ROOT, path);
    return [...readFileSync(path, 'utf8').matchAll(statement)]
      .filter(([, , , specifier]) => !isBuiltin(specifier!))
      .map(([, type, clause, specifier]) => {
        const names = /^\{([^}]*)\}$/.exec(clause?.trim() ?? '')?.[1]?.split(',') ?? [];
        const allTyped =
          names.length > 0 && names.every((n) => !n.trim() || n.trim().startsWith('type '));
        return { file, name: packageName(specifier!), typeOnly: !!type || allTyped };
      });
  });
}

/** Whether the installed `name` ships its own type declarations. */
function hasOwnTypes(name: string): boolean {
  const dir = join(ROOT, 'node_modules', name);
  const own = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return (
    'types' in own ||
    'typings' in own ||
    existsSync(join(dir, 'index.d.ts')) ||
    hasTypes(own.exports)
  );
}

function hasTypes(exportsField: unknown): boolean {
  if (typeof exportsField !== 'object' || exportsField === null) return false;
  return Object.entries(exportsField).some(([key, value]) => key === 'types' || hasTypes(value));
}

/** `@types/` package of `name` (`@types/scope__name` for a scoped one). */
function typesPackage(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}

describe('package.json', () => {
  const imports = packageImports();
  const valueImported = new Set(imports.filter((i) => !i.typeOnly).map((i) => i.name));
  const typeImported = new Set(imports.map((i) => i.name));

  it('finds the imports it checks (the scan itself works)', () => {
    for (const name of ['@nestjs/common', 'fast-jwt', 'ioredis', 'passport', 'cookie']) {
      expect([...valueImported]).toContain(name);
    }
    expect(imports.some((i) => i.typeOnly && i.name === 'ioredis')).toBe(true);
  });

  it('every package src/ loads at run time is a dependency or a peer (never a devDependency only)', () => {
    const undeclared = [...valueImported].filter(
      (name) => !dependencies.includes(name) && !peers.includes(name),
    );
    expect(undeclared).toEqual([]);
  });

  it('every dependency is loaded by src/ or gives the types its declarations import', () => {
    const unused = dependencies.filter(
      (name) =>
        !valueImported.has(name) &&
        ![...typeImported].some((imported) => typesPackage(imported) === name),
    );
    expect(unused).toEqual([]);
  });

  it('every package its declarations may import has types among its dependencies and peers', () => {
    const untyped = [...typeImported].filter((name) => {
      const installedWithIt = dependencies.includes(name) || peers.includes(name);
      // An optional peer's types may be an optional peer too (`@types/passport`).
      const types = typesPackage(name);
      return (
        !(installedWithIt && hasOwnTypes(name)) &&
        !dependencies.includes(types) &&
        !peers.includes(types)
      );
    });
    expect(untyped).toEqual([]);
  });

  it('optional peers are imported only by their own subpath, never by the main entry point', () => {
    const misplaced = imports
      .filter((i) => optionalPeers.includes(i.name) && !i.typeOnly)
      .filter((i) => !SUBPATH_PEERS[i.name] || !i.file.startsWith(SUBPATH_PEERS[i.name]!))
      .map((i) => `${i.file}: ${i.name}`);
    expect(misplaced).toEqual([]);
  });
});
