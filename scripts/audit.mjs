// Fails on a known high or critical advisory in production dependencies that has no reviewed
// exception in audit-exceptions.json. Run by .ci/run; `npm run audit` runs it by hand.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findUnreviewed, isAuditReport } from './audit-filter.mjs';

let output;
try {
  output = execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
} catch (error) {
  // npm audit exits non-zero when it finds anything; its JSON is still on stdout.
  output = error.stdout ?? '';
}
let report;
try {
  report = JSON.parse(output);
} catch {
  report = undefined;
}
if (!isAuditReport(report)) {
  const reason = report?.message ?? report?.error?.summary ?? 'no JSON answer';
  console.log(`audit: SKIPPED, the advisory service did not answer (${reason})`);
  process.exit(process.env.AUDIT_REQUIRED === 'true' ? 1 : 0);
}
const exceptions = JSON.parse(readFileSync(new URL('../audit-exceptions.json', import.meta.url)));
const unreviewed = findUnreviewed(report, exceptions);
if (unreviewed.length > 0) {
  console.error('audit: high or critical advisories in production dependencies:');
  for (const line of unreviewed) console.error(`  ${line}`);
  console.error('Upgrade, or record a reviewed exception in audit-exceptions.json (see README).');
  process.exit(1);
}
const counts = report.metadata.vulnerabilities;
console.log(`audit: no unreviewed high or critical advisory (${counts.total} of any level)`);
