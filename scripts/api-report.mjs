#!/usr/bin/env node
// API reports (etc/api/*.api.md), one per entry point in package.json "exports", from the emitted
// declarations: run `npm run build` first.
//   node scripts/api-report.mjs          (`npm run api:check`)  fails when a report differs
//   node scripts/api-report.mjs --local  (`npm run api:update`) rewrites the reports
// The entry "." is reported as nest-redis-sessions.api.md, "./health" as
// nest-redis-sessions-health.api.md, and so on. A subpath added to "exports" gets its report
// with no change here; a declared entry whose .d.ts is missing fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(import.meta.dirname, '..');
const configPath = join(root, 'etc/api-extractor.json');
const reportFolder = join(root, 'etc/api');
const packageJsonPath = join(root, 'package.json');
const local = process.argv.includes('--local');

const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8'));

/** Every entry of "exports" with ESM types: its subpath, its .d.ts and its report's name. */
function entries() {
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object' && target.import?.types)
    .map(([subpath, target]) => {
      const name = subpath === '.' ? '' : subpath.slice(2).replaceAll('/', '-');
      return {
        subpath,
        types: join(root, target.import.types),
        report: name ? `${pkg.name}-${name}` : pkg.name,
      };
    });
}

/** API Extractor's prepared configuration for one entry. */
function configFor(entry, tempFolder, allTypes) {
  const base = ExtractorConfig.loadFile(configPath);
  const { overrideTsconfig } = base.compiler;
  return ExtractorConfig.prepare({
    configObject: {
      ...base,
      mainEntryPointFilePath: entry.types,
      compiler: { ...base.compiler, overrideTsconfig: { ...overrideTsconfig, files: allTypes } },
      apiReport: { ...base.apiReport, reportFileName: entry.report, reportTempFolder: tempFolder },
    },
    configObjectFullPath: configPath,
    packageJsonFullPath: packageJsonPath,
  });
}

/** Runs API Extractor on one entry; true when its report matches (or was rewritten). */
function report(entry, config, compilerState, tempFolder) {
  const result = Extractor.invoke(config, {
    localBuild: local,
    compilerState,
    showVerboseMessages: false,
  });
  const expected = join(reportFolder, `${entry.report}.api.md`);
  if (!result.succeeded && result.apiReportChanged && !local && existsSync(expected)) {
    const actual = join(tempFolder, `${entry.report}.api.md`);
    spawnSync('git', ['diff', '--no-index', '--no-color', expected, actual], { stdio: 'inherit' });
  }
  return result.succeeded;
}

const list = entries();
const missing = list.filter((entry) => !existsSync(entry.types));
if (missing.length > 0) {
  for (const entry of missing) {
    console.error(
      `"${entry.subpath}": ${entry.types} does not exist (run \`npm run build\` first)`,
    );
  }
  process.exit(1);
}

if (local) mkdirSync(reportFolder, { recursive: true });
const tempFolder = mkdtempSync(join(tmpdir(), 'api-report-'));
const failed = [];
try {
  // One TypeScript program for every entry: it is most of the time a run takes.
  const allTypes = list.map((entry) => entry.types);
  const configs = list.map((entry) => configFor(entry, tempFolder, allTypes));
  const compilerState = CompilerState.create(configs[0]);
  list.forEach((entry, index) => {
    console.log(`== ${entry.subpath} -> etc/api/${entry.report}.api.md`);
    if (!report(entry, configs[index], compilerState, tempFolder)) failed.push(entry.subpath);
  });
} finally {
  rmSync(tempFolder, { recursive: true, force: true });
}

// A report left behind by an entry that is no longer exported.
const expected = new Set(list.map((entry) => `${entry.report}.api.md`));
const stale = existsSync(reportFolder)
  ? readdirSync(reportFolder).filter((file) => file.endsWith('.api.md') && !expected.has(file))
  : [];
for (const file of stale) {
  console.error(`etc/api/${file} belongs to no entry of package.json "exports": delete it`);
}

if (failed.length > 0 || stale.length > 0) {
  if (failed.length > 0) {
    console.error(
      `\nAPI report differs or API Extractor reported problems for: ${failed.join(', ')}.` +
        (local ? '' : '\nIf the change is intended: `npm run api:update` and commit etc/api/.'),
    );
  }
  process.exit(1);
}
console.log(local ? 'API reports written to etc/api/' : 'API reports match');
