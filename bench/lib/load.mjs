// The load generator of `npm run bench`: a child process of its own (forked by run.mjs, so that
// its CPU is not the app's), driving one scenario with autocannon. It speaks over IPC:
//   { type: 'prepare', url, scenario, connections, credentials? } -> { type: 'prepared' }
//   { type: 'run', seconds }                                      -> { type: 'result', result }
// `prepare` logs in the sessions a run needs, so that the caller can snapshot Redis's counters
// after it and before `run`; scenarios with `auth: 'given'` send the headers the caller obtained
// (`credentials`: one object of headers per connection, reused round-robin).
import autocannon from 'autocannon';
import { BENCH_PASSWORD, login, refreshCookie } from './http.mjs';

const BENCH_USERS = 10_000; // logins spread over bench-0 … bench-9999

/** What each scenario requests. `auth`: what a connection needs from a login. */
export const SCENARIOS = {
  public: { method: 'GET', path: '/public', auth: 'none' },
  'passport-string': { method: 'GET', path: '/bench/passport-string', auth: 'bearer' },
  'passport-key': { method: 'GET', path: '/bench/passport-key', auth: 'bearer' },
  guard: { method: 'GET', path: '/me', auth: 'bearer' },
  floor: { method: 'GET', path: '/bench/floor', auth: 'none' },
  'floor-public': { method: 'GET', path: '/bench/public', auth: 'none' },
  'passport-guard': { method: 'GET', path: '/bench/passport-access-guard', auth: 'bearer' },
  refresh: { method: 'POST', path: '/auth/refresh', auth: 'refresh-chain' },
  login: { method: 'POST', path: '/auth/login', auth: 'login' },
  'me-given': { method: 'GET', path: '/me', auth: 'given' }, // the peer servers (peers.mjs)
};

let state;

process.on('message', (message) => {
  handle(message).then(
    (reply) => process.send(reply),
    (error) => process.send({ type: 'error', message: error.stack ?? String(error) }),
  );
});

async function handle(message) {
  if (message.type === 'prepare') {
    const scenario = SCENARIOS[message.scenario];
    if (!scenario) throw new Error(`unknown scenario ${message.scenario}`);
    state = { ...message, scenario, sessions: [] };
    if (scenario.auth === 'bearer' || scenario.auth === 'refresh-chain') {
      state.sessions = await loginMany(message.url, message.connections);
    } else if (scenario.auth === 'given') {
      if (!message.credentials?.length) throw new Error(`${message.scenario} needs credentials`);
      state.sessions = message.credentials;
    }
    return { type: 'prepared' };
  }
  if (message.type === 'run') return { type: 'result', result: await runLoad(message.seconds) };
  if (message.type === 'exit') process.exit(0);
  throw new Error(`unknown message ${message.type}`);
}

/** One login per connection, each as a different bench user. */
async function loginMany(url, count) {
  const sessions = [];
  for (let i = 0; i < count; i += 1) sessions.push(await login(url, `bench-${i}`));
  return sessions;
}

/** Runs autocannon for `seconds`; latencies and counts are taken here, per response, in ms. */
function runLoad(seconds) {
  const { url, scenario, connections, sessions } = state;
  let next = 0;
  const requests = [{ method: scenario.method, path: scenario.path }];
  const options = {
    url: url.replace('localhost', '127.0.0.1'),
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests,
  };
  // Per-connection state lives in closures: autocannon resets `context` after every request
  // when there is only one request in the list.
  if (scenario.auth === 'bearer') {
    options.setupClient = (client) => {
      const { accessToken } = sessions[next++ % sessions.length];
      client.setHeaders({ authorization: `Bearer ${accessToken}` });
    };
  } else if (scenario.auth === 'given') {
    options.setupClient = (client) => {
      client.setHeaders({ ...sessions[next++ % sessions.length] });
    };
  } else if (scenario.auth === 'refresh-chain') {
    // Each connection rotates its own session: every request presents the refresh token that
    // the previous response issued, so every request is a genuine rotation.
    options.setupClient = (client) => {
      const chain = { token: sessions[next++ % sessions.length].refreshToken, broken: 0 };
      client.setRequests([
        {
          method: 'POST',
          path: scenario.path,
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, cookie: `refresh_token=${chain.token}` },
          }),
          onResponse: (status, _body, _context, headers) => {
            const token = refreshCookie(headerValue(headers, 'set-cookie'));
            if (status === 200 && token) chain.token = token;
            else chain.broken += 1;
          },
        },
      ]);
    };
  } else if (scenario.auth === 'login') {
    options.setupClient = (client) => {
      client.setRequests([
        {
          method: 'POST',
          path: scenario.path,
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              username: `bench-${Math.floor(Math.random() * BENCH_USERS)}`,
              password: BENCH_PASSWORD,
            }),
          }),
        },
      ]);
    };
  }

  return new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = {};
    const started = process.hrtime.bigint();
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      latencies.sort((a, b) => a - b);
      const ok = latencies.length;
      resolve({
        ok,
        statuses,
        errors: result.errors, // connection errors and timeouts
        elapsedMs,
        requestsPerSecond: ok / (elapsedMs / 1000),
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        latencies,
        autocannon: {
          requestsAverage: result.requests.average,
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
        },
      });
    });
    instance.on('response', (_client, status, _bytes, responseTime) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
  });
}

function headerValue(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
