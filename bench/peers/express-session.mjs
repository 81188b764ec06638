// Peer of the bench: express-session with connect-redis, as its README sets them up. The session
// lives in Redis under `sess:<id>`; the signed cookie carries its id. `GET /me` answers from
// `req.session.userId` (express-session reads the session, then touches its TTL, on every request).
//   PORT, REDIS_URL                       from the bench
//   POST /login   -> Set-Cookie of a new session of user `bench-user`
//   POST /logout  -> destroys the session of the cookie it is sent (DEL in Redis)
import { randomBytes } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();

// On the routes that use it rather than `app.use(session(…))`, so that `/public` runs no session
// code, as on the other peer servers: `/me` minus `/public` is then the whole cost of the session.
const withSession = session({
  store: new RedisStore({ client, prefix: 'sess:' }),
  secret: randomBytes(32).toString('base64url'),
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', maxAge: 3600_000 },
});

const app = express();

app.get('/public', (_req, res) => {
  res.json({ ok: true });
});

app.get('/me', withSession, (req, res) => {
  if (!req.session.userId) return res.status(401).json({ message: 'Unauthorized' });
  res.json({ userId: req.session.userId });
});

app.post('/login', withSession, (req, res, next) => {
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.userId = 'bench-user';
    res.json({ ok: true });
  });
});

app.post('/logout', withSession, (req, res, next) => {
  req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => client.quit().finally(() => process.exit(0))));
