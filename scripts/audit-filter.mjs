/**
 * Which high or critical advisories of an `npm audit --json` report are not covered by a reviewed
 * exception. An exception is `{ "id": "GHSA-…", "reason": "…", "expires": "YYYY-MM-DD" }`; an
 * expired one no longer counts, so every exception is looked at again.
 */
export function findUnreviewed(report, exceptions, now = new Date()) {
  const live = new Set(
    exceptions.filter((e) => e.id && e.reason && new Date(e.expires) > now).map((e) => e.id),
  );
  const found = new Map();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via ?? []) {
      if (typeof via !== 'object' || !['high', 'critical'].includes(via.severity)) continue;
      const id = advisoryId(via);
      if (!live.has(id)) found.set(id, `${via.severity} ${via.name}: ${via.title} (${id})`);
    }
  }
  return [...found.values()];
}

/** Whether the report is a real audit result rather than an error from the advisory service. */
export function isAuditReport(report) {
  return Boolean(report && typeof report === 'object' && report.metadata && report.vulnerabilities);
}

function advisoryId(via) {
  const match = /GHSA-[\w-]+/.exec(via.url ?? '');
  return match ? match[0] : String(via.source);
}
