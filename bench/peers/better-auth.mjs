// Peer of the bench: better-auth with its Redis secondary storage (an ioredis client behind
// `secondaryStorage`, as better-auth's docs show) and users in its memory adapter. Sessions live
// only in Redis (better-auth keeps them out of the database when a secondary storage is set).
// `GET /me` is `auth.api.getSession({ headers })`, as better-auth's Express integration shows.
//   PORT, REDIS_URL       from the bench
//   COOKIE_CACHE=1        session data also in a signed cookie for 5 minutes (better-auth's
//                         `session.cookieCache`): getSession then skips Redis while it is fresh
//   POST /login   -> Set-Cookie of a new session of one user (email and password sign-in)
//   POST /logout  -> signs out the session of the cookies it is sent (deletes it from Redis)
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { fromNodeHeaders } from 'better-auth/node';
import express from 'express';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL);
const cookieCache = process.env.COOKIE_CACHE === '1';
const user = { email: 'bench@example.com', password: 'bench-password-1', name: 'Bench' };

const auth = betterAuth({
  baseURL: 'http://127.0.0.1',
  secret: randomBytes(32).toString('base64url'),
  database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
  emailAndPassword: { enabled: true },
  secondaryStorage: {
    get: async (key) => await redis.get(key),
    set: async (key, value, ttl) => {
      if (ttl) await redis.set(key, value, 'EX', ttl);
      else await redis.set(key, value);
    },
    delete: async (key) => {
      await redis.del(key);
    },
  },
  session: { cookieCache: { enabled: cookieCache, maxAge: 5 * 60 } },
  rateLimit: { enabled: false }, // the bench's own traffic is not an attack
  telemetry: { enabled: false },
});
await auth.api.signUpEmail({ body: user });

/** Copies the Set-Cookie lines of a better-auth `Response` onto an Express response. */
function sendCookies(response, res) {
  res.setHeader('set-cookie', response.headers.getSetCookie());
  res.status(response.status).json({ ok: response.ok });
}

const app = express();

app.get('/public', (_req, res) => {
  res.json({ ok: true });
});

app.get('/me', async (req, res, next) => {
  try {
    const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
    if (!session) return res.status(401).json({ message: 'Unauthorized' });
    res.json({ userId: session.user.id });
  } catch (error) {
    next(error);
  }
});

app.post('/login', async (_req, res, next) => {
  try {
    const body = { email: user.email, password: user.password };
    sendCookies(await auth.api.signInEmail({ body, asResponse: true }), res);
  } catch (error) {
    next(error);
  }
});

app.post('/logout', async (req, res, next) => {
  try {
    sendCookies(
      await auth.api.signOut({ headers: fromNodeHeaders(req.headers), asResponse: true }),
      res,
    );
  } catch (error) {
    next(error);
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => redis.quit().finally(() => process.exit(0))));
