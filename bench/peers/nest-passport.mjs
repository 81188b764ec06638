// Peer of the bench: what Nest users assemble by hand, a Nest app (Express) with a @nestjs/passport
// + passport-jwt guard whose validate() checks that the session still exists with one Redis
// `EXISTS session:<sid>` per request. The strategy is written as in sample-app/bench/ (secret as a
// KeyObject made once). Plain JavaScript: the decorators are applied as functions.
//   PORT, REDIS_URL                       from the bench
//   POST /login   -> { accessToken }, a JWT whose `sid` names a new `session:<sid>` key in Redis
//   POST /logout  -> deletes the session of the Bearer token it is sent (DEL in Redis)
import 'reflect-metadata';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Controller, Get, Inject, Injectable, Module, Post, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { Redis } from 'ioredis';
import { ExtractJwt, Strategy } from 'passport-jwt';

const REDIS = Symbol('REDIS');
const SESSION_SECONDS = 3600;
const key = createSecretKey(randomBytes(48));

class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(redis) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key,
      algorithms: ['HS256'],
    });
    this.redis = redis;
  }

  /** A valid signature is not enough: the session must still be in Redis (false: 401). */
  async validate(payload) {
    if ((await this.redis.exists(`session:${payload.sid}`)) === 0) return false;
    return { userId: payload.sub, sessionId: payload.sid };
  }
}
Injectable()(JwtStrategy);
Inject(REDIS)(JwtStrategy, undefined, 0);

class AppController {
  constructor(jwt, redis) {
    this.jwt = jwt;
    this.redis = redis;
  }

  public() {
    return { ok: true };
  }

  me(req) {
    return req.user;
  }

  async login() {
    const sid = randomUUID();
    await this.redis.set(`session:${sid}`, '1', 'EX', SESSION_SECONDS);
    return { accessToken: await this.jwt.signAsync({ sub: 'bench-user', sid }) };
  }

  async logout(req) {
    await this.redis.del(`session:${req.user.sessionId}`);
    return { ok: true };
  }
}
Controller()(AppController);
Inject(JwtService)(AppController, undefined, 0);
Inject(REDIS)(AppController, undefined, 1);
method(AppController, 'public', Get('public'));
method(AppController, 'me', Get('me'), UseGuards(AuthGuard('jwt')));
method(AppController, 'login', Post('login'));
method(AppController, 'logout', Post('logout'), UseGuards(AuthGuard('jwt')));
Req()(AppController.prototype, 'me', 0);
Req()(AppController.prototype, 'logout', 0);

class AppModule {}
const redis = new Redis(process.env.REDIS_URL);
Module({
  imports: [
    PassportModule,
    JwtModule.register({
      secret: key,
      signOptions: { algorithm: 'HS256', expiresIn: SESSION_SECONDS },
    }),
  ],
  controllers: [AppController],
  providers: [JwtStrategy, { provide: REDIS, useValue: redis }],
})(AppModule);

/** What TypeScript emits for method decorators. */
function method(target, name, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  Reflect.decorate(decorators, target.prototype, name, descriptor);
}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`Listening on http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', () => app.close().then(() => redis.quit().finally(() => process.exit(0))));
