/** A reviewed exception of audit-exceptions.json. */
export interface AuditException {
  id: string;
  reason: string;
  expires: string;
}

/** The parts of `npm audit --json` (report version 2) that the filter reads. */
export interface AuditReport {
  metadata?: { vulnerabilities: Record<string, number> };
  vulnerabilities?: Record<
    string,
    {
      via?: (
        string | { source?: number; name?: string; title?: string; url?: string; severity?: string }
      )[];
    }
  >;
}

export function findUnreviewed(
  report: AuditReport,
  exceptions: AuditException[],
  now?: Date,
): string[];
export function isAuditReport(report: unknown): report is AuditReport;
