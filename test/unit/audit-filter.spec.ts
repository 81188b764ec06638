import { findUnreviewed, isAuditReport, type AuditReport } from '../../scripts/audit-filter.mjs';

/** Shaped like `npm audit --json` (auditReportVersion 2). */
function report(severity: string, id = 'GHSA-aaaa-bbbb-cccc'): AuditReport {
  return {
    metadata: { vulnerabilities: { total: 1 } },
    vulnerabilities: {
      'some-lib': {
        via: [
          {
            source: 1100,
            name: 'some-lib',
            title: 'Prototype pollution',
            url: `https://github.com/advisories/${id}`,
            severity,
          },
          'another-lib',
        ],
      },
    },
  };
}

describe('the supply-chain audit filter', () => {
  const now = new Date('2026-11-27');

  it('reports a high or critical advisory that has no exception', () => {
    expect(findUnreviewed(report('high'), [], now)).toEqual([
      'high some-lib: Prototype pollution (GHSA-aaaa-bbbb-cccc)',
    ]);
    expect(findUnreviewed(report('critical'), [], now)).toHaveLength(1);
  });

  it('ignores moderate and low advisories', () => {
    expect(findUnreviewed(report('moderate'), [], now)).toEqual([]);
    expect(findUnreviewed(report('low'), [], now)).toEqual([]);
  });

  it('accepts a reviewed exception until it expires', () => {
    const exception = { id: 'GHSA-aaaa-bbbb-cccc', reason: 'not reachable', expires: '2027-01-01' };
    expect(findUnreviewed(report('high'), [exception], now)).toEqual([]);
    expect(findUnreviewed(report('high'), [exception], new Date('2027-01-02'))).toHaveLength(1);
    expect(findUnreviewed(report('high'), [{ ...exception, reason: '' }], now)).toHaveLength(1);
    expect(findUnreviewed(report('high', 'GHSA-other-one-here'), [exception], now)).toHaveLength(1);
  });

  it('tells an audit report from an error of the advisory service', () => {
    expect(isAuditReport(report('high'))).toBe(true);
    expect(isAuditReport({ message: '405 Method Not Allowed', statusCode: 405 })).toBe(false);
    expect(isAuditReport(undefined)).toBe(false);
  });
});
