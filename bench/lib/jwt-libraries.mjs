// Sign and verify with the JWT libraries a Nest app could use on its hot path, in one process,
// each on the same claims and keys, interleaved in rounds so that a machine that slows down hits
// every library alike. CPU time per operation (process.cpuUsage), so noise from other processes
// counts less than in wall time.
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { createSigner, createVerifier } from 'fast-jwt';

const CLAIMS = {
  sub: 'user-42',
  sid: `${Buffer.from('user-42').toString('base64url')}.${randomBytes(32).toString('base64url')}`,
  role: 'admin',
};

/** The libraries, each with a sync-or-async sign and verify for HS256 and EdDSA. */
function contenders() {
  const secret = createSecretKey(randomBytes(48));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const header = (alg) => ({ alg, typ: 'at+jwt', kid: 'k1' });
  const iat = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ ...CLAIMS, iat: iat(), exp: iat() + 900 });
  const fast = (alg, signKey, verifyKey) => ({
    sign: createSigner({ key: signKey, algorithm: alg, header: header(alg), noTimestamp: true }),
    verify: createVerifier({ key: verifyKey, algorithms: [alg], complete: true, cache: false }),
  });
  const fastHs = fast('HS256', secret.export(), secret.export());
  const pem = (key, type) => key.export({ format: 'pem', type });
  const fastEd = fast('EdDSA', pem(privateKey, 'pkcs8'), pem(publicKey, 'spki'));
  const joseVerify = (key, alg) => (token) =>
    jose.jwtVerify(token, key, { algorithms: [alg], typ: 'at+jwt' });
  const joseSign = (key, alg) => (payload) =>
    new jose.SignJWT(payload).setProtectedHeader(header(alg)).sign(key);
  const jwtOptions = (alg) => ({ algorithm: alg, header: header(alg) });
  return {
    HS256: {
      jsonwebtoken: {
        sign: (p) => jsonwebtoken.sign(p, secret, jwtOptions('HS256')),
        verify: (t) => jsonwebtoken.verify(t, secret, { algorithms: ['HS256'], complete: true }),
      },
      'fast-jwt': fastHs,
      jose: { sign: joseSign(secret, 'HS256'), verify: joseVerify(secret, 'HS256') },
    },
    EdDSA: {
      'jsonwebtoken (no EdDSA)': undefined,
      'fast-jwt': fastEd,
      jose: { sign: joseSign(privateKey, 'EdDSA'), verify: joseVerify(publicKey, 'EdDSA') },
    },
    claims,
  };
}

async function timeOne(fn, input, count) {
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) {
    const value = fn(input);
    if (value && typeof value.then === 'function') await value;
  }
  const wallNs = Number(process.hrtime.bigint() - started);
  const cpu = process.cpuUsage(before);
  return { cpuUs: (cpu.user + cpu.system) / count, wallUs: wallNs / 1000 / count };
}

/**
 * Rows `{ algorithm, library, signUs, verifyUs }` (CPU µs per operation, median of the rounds).
 * Every verifier is first checked to accept its own token and refuse a tampered one.
 */
export async function measureJwtLibraries({ count = 5000, rounds = 5 } = {}) {
  const { claims, ...byAlgorithm } = contenders();
  const rows = [];
  for (const [algorithm, libraries] of Object.entries(byAlgorithm)) {
    const entries = Object.entries(libraries).filter(([, lib]) => lib);
    const tokens = new Map();
    for (const [name, lib] of entries) {
      const token = await lib.sign(claims());
      await lib.verify(token);
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      const refused = await Promise.resolve()
        .then(() => lib.verify(tampered))
        .then(
          () => false,
          () => true,
        );
      if (!refused) throw new Error(`${name} ${algorithm} accepted a tampered token`);
      tokens.set(name, token);
    }
    const samples = new Map(entries.map(([name]) => [name, { sign: [], verify: [] }]));
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, lib] of round % 2 ? [...entries].reverse() : entries) {
        samples.get(name).sign.push((await timeOne(lib.sign, claims(), count)).cpuUs);
        samples.get(name).verify.push((await timeOne(lib.verify, tokens.get(name), count)).cpuUs);
      }
    }
    for (const [name] of entries) {
      const { sign, verify } = samples.get(name);
      rows.push({ algorithm, library: name, signUs: median(sign), verifyUs: median(verify) });
    }
    for (const [name, lib] of Object.entries(libraries)) {
      if (!lib) rows.push({ algorithm, library: name });
    }
  }
  return rows;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await measureJwtLibraries()) {
    const us = (v) => (v === undefined ? 'n/a' : `${v.toFixed(1)} µs`);
    console.log(
      `${row.algorithm}\t${row.library}\tsign ${us(row.signUs)}\tverify ${us(row.verifyUs)}`,
    );
  }
}
