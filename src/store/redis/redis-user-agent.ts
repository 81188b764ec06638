/**
 * The user agent as a session hash stores it: the runs of text that most browsers' user agents
 * share, each replaced by one control character (`\x01`..`\x1f`, which an HTTP header value never
 * carries). A typical 100-130 byte user agent becomes 15-40 bytes, so the session hash stays a
 * small listpack. A user agent that does contain a control character is stored as it is, after a
 * `\x00`, so that every string comes back exactly as it went in.
 */

/**
 * The replaced runs, each coded by its position + 1. The longer of two overlapping runs comes
 * first (they are replaced in this order). Appending is safe; reordering or removing one changes
 * what stored sessions read as.
 */
const RUNS = [
  ') AppleWebKit/537.36 (KHTML, like Gecko) ',
  ') AppleWebKit/605.1.15 (KHTML, like Gecko) ',
  'Mozilla/5.0 (',
  'Windows NT 10.0; Win64; x64',
  'Macintosh; Intel Mac OS X 10_15_7',
  'X11; Linux x86_64',
  'iPhone; CPU iPhone OS ',
  'iPad; CPU OS ',
  'Linux; Android ',
  ' like Mac OS X',
  ') Gecko/20100101 ',
  ' Mobile Safari/537.36',
  ' Safari/537.36',
  ' Safari/605.1.15',
  ' Safari/604.1',
  ' Mobile/15E148',
  'Chrome/',
  'Firefox/',
  'Version/',
  ' Edg/',
  ' OPR/',
  '.0.0.0',
  'CriOS/',
  'FxiOS/',
  'SamsungBrowser/',
  'Windows NT ',
  'Win64; x64',
  'rv:',
  'Mobile',
  'Safari/',
  'Gecko',
] as const;

const RAW = '\x00';
const CONTROL = /[\x00-\x1f]/; // eslint-disable-line no-control-regex
const CODE = /[\x01-\x1f]/g; // eslint-disable-line no-control-regex

/** Compact forms of recent user agents: an app sees the same few again and again. */
const recent = new Map<string, string>();
const RECENT_MAX = 256;
const RECENT_LONGEST = 512; // characters: a client picks its user agent, and its length

/** The stored form of a user agent. */
export function compactUserAgent(userAgent: string): string {
  const known = recent.get(userAgent);
  if (known !== undefined) return known;
  let compact: string;
  if (CONTROL.test(userAgent)) {
    compact = RAW + userAgent;
  } else {
    compact = userAgent;
    for (let i = 0; i < RUNS.length; i += 1) {
      if (compact.includes(RUNS[i]))
        compact = compact.replaceAll(RUNS[i], String.fromCharCode(i + 1));
    }
  }
  if (userAgent.length <= RECENT_LONGEST) {
    if (recent.size >= RECENT_MAX) recent.clear(); // bounded; refilled by the next requests
    recent.set(userAgent, compact);
  }
  return compact;
}

/** The user agent of a stored form. */
export function expandUserAgent(stored: string): string {
  if (stored.startsWith(RAW)) return stored.slice(1);
  return stored.replace(CODE, expandCode);
}

function expandCode(code: string): string {
  return RUNS[code.charCodeAt(0) - 1] ?? '';
}
