import http from 'node:http';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { UseGuards, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  Field,
  GraphQLModule,
  Int,
  Mutation,
  ObjectType,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import request from 'supertest';
import {
  AccessGuard,
  CurrentSession,
  CurrentUser,
  Public,
  Roles,
  RolesGuard,
  SafeErrorFilter,
  SessionService,
  type CurrentUserInfo,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { ApolloDriver } from '@nestjs/apollo';
import { listenTestApp, type ListeningApp, type LoggedIn } from '../support/listening-app.js';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';

@ObjectType()
class Me {
  @Field() userId!: string;
  @Field() sessionId!: string;
  @Field(() => String, { nullable: true }) role?: string;
}

let touched = 0;

@Resolver()
@UseGuards(AccessGuard, RolesGuard)
class SessionResolver {
  @Query(() => Me)
  me(@CurrentSession() session: SessionPrincipal): Me {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role };
  }

  @Query(() => String)
  whoami(@CurrentUser() user: CurrentUserInfo): string {
    return user.id;
  }

  @Query(() => String)
  @Roles('admin')
  adminReport(): string {
    return 'for admins';
  }

  @Mutation(() => Int)
  touch(@CurrentSession() session: SessionPrincipal): number {
    touched += 1;
    return session.userId.length;
  }

  @Query(() => String)
  @Public()
  ping(): string {
    return 'pong';
  }
}

@ObjectType()
class Report {
  @Field() title!: string;
}

/** Field resolvers: guarded only with `fieldResolverEnhancers: ['guards']` (see the README). */
@Resolver(() => Report)
@UseGuards(AccessGuard, RolesGuard)
class ReportResolver {
  @Query(() => Report)
  @Public()
  report(): Report {
    return { title: 'quarterly' };
  }

  @ResolveField(() => String)
  owner(@CurrentSession() session: SessionPrincipal): string {
    return session.userId;
  }

  @ResolveField(() => String)
  @Roles('admin')
  figures(): string {
    return 'for admins';
  }
}

interface GqlError {
  message: string;
  extensions?: { code?: string; originalError?: unknown };
}
interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
}

const ORIGIN_FOREIGN = 'https://evil.example';
const ORIGIN_ALLOWED = 'https://app.example';

let suite: ListeningApp;
let app: INestApplication;
let server: http.Server;
let port: number;

beforeAll(async () => {
  suite = await listenTestApp({
    name: 'e2e-graphql',
    options: { allowedOrigins: [ORIGIN_ALLOWED] },
    imports: [
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        graphiql: false,
        allowBatchedHttpRequests: true,
        fieldResolverEnhancers: ['guards'],
      }),
    ],
    providers: [
      SessionResolver,
      ReportResolver,
      { provide: APP_FILTER, useClass: SafeErrorFilter },
    ],
  });
  ({ app, server, port } = suite);
});

afterAll(async () => {
  await suite?.close();
});

function login(user: string, role?: string): Promise<LoggedIn> {
  return suite.login(user, role);
}

function gql(query: string): request.Test {
  return request(server).post('/graphql').send({ query });
}

function errorCodes(body: GqlBody): (string | undefined)[] {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}

/** A GraphQL refusal: no data for the field, one error with `code`, and none of `secrets`. */
function expectRefused(
  res: request.Response,
  code: 'UNAUTHENTICATED' | 'FORBIDDEN',
  secrets: string[] = [],
): void {
  const body = res.body as GqlBody;
  expect(body.data ?? null).toBeNull();
  expect(errorCodes(body)).toEqual([code]);
  const message = code === 'UNAUTHENTICATED' ? 'Unauthorized' : expect.any(String);
  expect(body.errors?.[0]).toMatchObject({ message });
  for (const secret of secrets) expect(res.text).not.toContain(secret);
}

describe('GraphQL (Apollo on Express): AccessGuard on resolvers', () => {
  it('refuses a query without a token with UNAUTHENTICATED, and runs no resolver', async () => {
    const res = await gql('{ me { userId } }');
    expect(res.status).toBe(200);
    expectRefused(res, 'UNAUTHENTICATED');
    expect((res.body as GqlBody).errors?.[0].extensions?.originalError).toEqual({
      statusCode: 401,
      message: 'Unauthorized',
    });
  });

  it('lets a @Public() query through without a token', async () => {
    const res = await gql('{ ping }');
    expect(res.body).toEqual({ data: { ping: 'pong' } });
  });

  it('answers with the session of a Bearer token, through @CurrentSession() and @CurrentUser()', async () => {
    const alice = await login('alice', 'user');
    const res = await gql('{ me { userId sessionId role } whoami }').set(
      'Authorization',
      `Bearer ${alice.accessToken}`,
    );
    expect(res.body).toEqual({
      data: {
        me: { userId: 'alice', sessionId: alice.sessionId, role: 'user' },
        whoami: 'alice',
      },
    });
  });

  it('answers with the session of the access cookie', async () => {
    const bob = await login('bob');
    const res = await gql('{ me { userId sessionId role } }').set('Cookie', bob.cookie);
    expect(res.body).toEqual({
      data: { me: { userId: 'bob', sessionId: bob.sessionId, role: null } },
    });
  });

  it('refuses the next query once the session is revoked', async () => {
    const carol = await login('carol');
    const ok = await gql('{ whoami }').set('Authorization', `Bearer ${carol.accessToken}`);
    expect(ok.body).toEqual({ data: { whoami: 'carol' } });

    expect(await app.get(SessionService).revoke(carol.sessionId)).toBe(true);

    const bearer = await gql('{ whoami }').set('Authorization', `Bearer ${carol.accessToken}`);
    expectRefused(bearer, 'UNAUTHENTICATED', [carol.accessToken]);
    const cookie = await gql('{ whoami }').set('Cookie', carol.cookie);
    expectRefused(cookie, 'UNAUTHENTICATED', [carol.accessToken]);
  });

  it('refuses a @Roles("admin") query to another role with FORBIDDEN, and serves an admin', async () => {
    const user = await login('dave', 'user');
    const refused = await gql('{ adminReport }').set('Authorization', `Bearer ${user.accessToken}`);
    expectRefused(refused, 'FORBIDDEN');
    expect((refused.body as GqlBody).errors?.[0].message).toBe('Forbidden');

    const admin = await login('erin', 'admin');
    const served = await gql('{ adminReport }').set('Authorization', `Bearer ${admin.accessToken}`);
    expect(served.body).toEqual({ data: { adminReport: 'for admins' } });
  });
});

describe('GraphQL: cross-site requests with the cookie', () => {
  it('refuses a cookie-authenticated mutation from a foreign Origin, before the resolver runs', async () => {
    const alice = await login('alice');
    const before = touched;
    for (const headers of [
      { Origin: ORIGIN_FOREIGN },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
    ]) {
      const res = await gql('mutation { touch }').set('Cookie', alice.cookie).set(headers);
      expectRefused(res, 'FORBIDDEN', [alice.accessToken]);
      expect((res.body as GqlBody).errors?.[0].message).toBe('Cross-site request refused');
    }
    expect(touched).toBe(before);
  });

  it('refuses a cookie-authenticated POST query from a foreign Origin as well', async () => {
    const alice = await login('alice');
    const res = await gql('{ whoami }').set('Cookie', alice.cookie).set('Origin', ORIGIN_FOREIGN);
    expectRefused(res, 'FORBIDDEN');
  });

  it('accepts the cookie from its own origin, an allowed origin, or a client without Origin', async () => {
    const alice = await login('alice');
    for (const origin of [`http://127.0.0.1:${port}`, ORIGIN_ALLOWED, undefined]) {
      const req = gql('mutation { touch }').set('Cookie', alice.cookie);
      const res = await (origin ? req.set('Origin', origin) : req);
      expect(res.body).toEqual({ data: { touch: 5 } });
    }
  });

  it('accepts a Bearer token from a foreign Origin (a script had to read it to send it)', async () => {
    const alice = await login('alice');
    const res = await gql('mutation { touch }')
      .set('Authorization', `Bearer ${alice.accessToken}`)
      .set('Origin', ORIGIN_FOREIGN);
    expect(res.body).toEqual({ data: { touch: 5 } });
  });

  it('never runs a mutation sent as GET (Apollo refuses it before any resolver)', async () => {
    const alice = await login('alice');
    const before = touched;
    const res = await request(server)
      .get('/graphql')
      .query({ query: 'mutation { touch }' })
      .set('Cookie', alice.cookie)
      .set('apollo-require-preflight', 'true');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(touched).toBe(before);
  });

  it('answers a same-site GET query with the cookie (GET is read-only, as on HTTP routes)', async () => {
    const alice = await login('alice');
    const res = await request(server)
      .get('/graphql')
      .query({ query: '{ whoami }' })
      .set('Cookie', alice.cookie)
      .set('apollo-require-preflight', 'true');
    expect(res.body).toEqual({ data: { whoami: 'alice' } });
  });
});

describe('GraphQL: batches, aliases, field resolvers, introspection', () => {
  function batch(queries: string[]): request.Test {
    return request(server)
      .post('/graphql')
      .send(queries.map((query) => ({ query })));
  }

  it('guards every operation of a batch (an array in one POST) with the request of the batch', async () => {
    const user = await login('alice', 'user');
    const bearer = `Bearer ${user.accessToken}`;
    const served = await batch(['{ whoami }', '{ adminReport }', '{ ping }']).set(
      'Authorization',
      bearer,
    );
    const [who, admin, ping] = served.body as GqlBody[];
    expect(who).toEqual({ data: { whoami: 'alice' } });
    expect(errorCodes(admin)).toEqual(['FORBIDDEN']);
    expect(ping).toEqual({ data: { ping: 'pong' } });

    const anonymous = (await batch(['{ whoami }', '{ ping }'])).body as GqlBody[];
    expect(errorCodes(anonymous[0])).toEqual(['UNAUTHENTICATED']);
    expect(anonymous[1]).toEqual({ data: { ping: 'pong' } });

    const before = touched;
    const crossSite = await batch(['mutation { touch }', 'mutation { touch }'])
      .set('Cookie', user.cookie)
      .set('Origin', ORIGIN_FOREIGN);
    for (const body of crossSite.body as GqlBody[]) expect(errorCodes(body)).toEqual(['FORBIDDEN']);
    expect(touched).toBe(before);
  });

  it('guards each aliased field on its own', async () => {
    const user = await login('alice', 'user');
    const res = await gql('{ a: whoami b: me { userId } c: ping }').set(
      'Authorization',
      `Bearer ${user.accessToken}`,
    );
    expect(res.body).toEqual({ data: { a: 'alice', b: { userId: 'alice' }, c: 'pong' } });
    const refused = await gql('{ a: whoami b: adminReport }').set(
      'Authorization',
      `Bearer ${user.accessToken}`,
    );
    const body = refused.body as GqlBody;
    expect(errorCodes(body)).toEqual(['FORBIDDEN']);
    expect((body.errors?.[0] as GqlError & { path?: string[] }).path).toEqual(['b']);
  });

  it("guards field resolvers (fieldResolverEnhancers: ['guards']) under a @Public() query", async () => {
    expect((await gql('{ report { title } }')).body).toEqual({
      data: { report: { title: 'quarterly' } },
    });
    const anonymous = (await gql('{ report { title owner } }')).body as GqlBody;
    expect(anonymous.data ?? null).toBeNull();
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const user = await login('bob', 'user');
    const own = await gql('{ report { owner } }').set(
      'Authorization',
      `Bearer ${user.accessToken}`,
    );
    expect(own.body).toEqual({ data: { report: { owner: 'bob' } } });
    const figures = await gql('{ report { figures } }').set(
      'Authorization',
      `Bearer ${user.accessToken}`,
    );
    expect(errorCodes(figures.body as GqlBody)).toEqual(['FORBIDDEN']);

    const admin = await login('erin', 'admin');
    const served = await gql('{ report { figures } }').set(
      'Authorization',
      `Bearer ${admin.accessToken}`,
    );
    expect(served.body).toEqual({ data: { report: { figures: 'for admins' } } });
  });

  it('leaves introspection alone (no resolver of the app, so no guard)', async () => {
    const res = await gql('{ __schema { queryType { name } } }');
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it("refuses a GET or a text/plain POST without Apollo's preflight header (CSRF prevention)", async () => {
    const alice = await login('alice');
    const get = await request(server)
      .get('/graphql')
      .query({ query: '{ whoami }' })
      .set('Cookie', alice.cookie);
    expect(get.status).toBe(400);
    expect(get.text).not.toContain('alice');
    const before = touched;
    const plain = await request(server)
      .post('/graphql')
      .set('Content-Type', 'text/plain')
      .set('Cookie', alice.cookie)
      .send(JSON.stringify({ query: 'mutation { touch }' }));
    expect(plain.status).toBe(400);
    expect(touched).toBe(before);
  });
});

describe('GraphQL: hostile tokens', () => {
  it.each([
    ['garbage', 'not-a-token'],
    ['three garbage segments', 'aaaa.bbbb.cccc'],
    [
      'alg none',
      `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(
        '{"sub":"alice"}',
      ).toString('base64url')}.`,
    ],
    ['a token 5000 characters long', `${'a'.repeat(2500)}.${'b'.repeat(2499)}.c`],
    ['control characters', 'a.b.c\u0000\u0007'],
  ])('refuses %s as Bearer or cookie with UNAUTHENTICATED, echoing nothing', async (_, token) => {
    const bearer = await gql('{ whoami }').set('Authorization', `Bearer ${encodeURI(token)}`);
    expectRefused(bearer, 'UNAUTHENTICATED', [encodeURI(token)]);
    const cookie = await gql('{ whoami }').set('Cookie', `access_token=${encodeURI(token)}`);
    expectRefused(cookie, 'UNAUTHENTICATED', [encodeURI(token)]);
  });

  it('refuses a forged signature on a genuine token', async () => {
    const alice = await login('alice');
    const [header, payload, signature = ''] = alice.accessToken.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const res = await gql('{ whoami }').set('Authorization', `Bearer ${forged}`);
    expectRefused(res, 'UNAUTHENTICATED', [forged, alice.accessToken]);
  });

  it('refuses two Authorization lines, even when one of them is valid', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    for (const pair of [
      [alice.accessToken, 'x.y.z'],
      ['x.y.z', alice.accessToken],
      [alice.accessToken, bob.accessToken],
    ]) {
      const res = await rawPost('/graphql', JSON.stringify({ query: '{ whoami }' }), [
        'Authorization',
        `Bearer ${pair[0]}`,
        'Authorization',
        `Bearer ${pair[1]}`,
      ]);
      const body = JSON.parse(res.text) as GqlBody;
      expect(body.data ?? null).toBeNull();
      expect(errorCodes(body)).toEqual(['UNAUTHENTICATED']);
      for (const token of pair) expect(res.text).not.toContain(token);
    }
  });

  it('refuses two access cookies, even when one of them is valid', async () => {
    const alice = await login('alice');
    const res = await gql('{ whoami }').set(
      'Cookie',
      `access_token=${alice.accessToken}; access_token=x.y.z`,
    );
    expectRefused(res, 'UNAUTHENTICATED', [alice.accessToken]);
  });

  it('refuses headers past the server limit before any resolver, and keeps serving', async () => {
    const huge = `Bearer ${'a'.repeat(20_000)}.b.c`;
    const res = await rawPost('/graphql', JSON.stringify({ query: '{ whoami }' }), [
      'Authorization',
      huge,
    ]);
    expect(res.status).toBe(431);
    const alice = await login('alice');
    const ok = await gql('{ whoami }').set('Authorization', `Bearer ${alice.accessToken}`);
    expect(ok.body).toEqual({ data: { whoami: 'alice' } });
  });
});

/** A JSON POST through node:http with header lines exactly as listed, repeated names included. */
function rawPost(
  path: string,
  body: string,
  headerLines: string[],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: [
          'Host',
          `127.0.0.1:${port}`,
          'Content-Type',
          'application/json',
          'Content-Length',
          String(Buffer.byteLength(body)),
          'Connection',
          'close',
          ...headerLines,
        ],
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('GraphQL without SafeErrorFilter, on a session store that goes down', () => {
  let redisServer: RedisServerHandle;
  let bare: ListeningApp;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    // Apollo puts a stack trace in every error's extensions outside NODE_ENV production or test;
    // the README's option turns that off.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      bare = await listenTestApp({
        name: 'e2e-graphql-bare',
        options: { redis: { url: redisServer.url } },
        imports: [
          GraphQLModule.forRoot<ApolloDriverConfig>({
            driver: ApolloDriver,
            autoSchemaFile: true,
            graphiql: false,
            includeStacktraceInErrorResponses: false,
          }),
        ],
        providers: [SessionResolver],
      });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });

  afterAll(async () => {
    await bare?.close();
    await redisServer?.stop();
  });

  function bareGql(query: string): request.Test {
    return request(bare.server).post('/graphql').send({ query });
  }

  it('maps a refusal as with the filter, with no stack trace, and logs nothing about it', async () => {
    const res = await bareGql('{ whoami }').set('Authorization', 'Bearer x.y.z');
    expectRefused(res, 'UNAUTHENTICATED');
    expect((res.body as GqlBody).errors?.[0].extensions).toEqual({
      code: 'UNAUTHENTICATED',
      originalError: { statusCode: 401, message: 'Unauthorized' },
    });
    expect(bare.logger.lines.join('\n')).not.toContain('Unauthorized');
  });

  it('answers an error with status 503 while Redis is down, then serves again', async () => {
    const alice = await bare.login('alice');
    await redisServer.kill();
    const res = await bareGql('{ whoami }').set('Authorization', `Bearer ${alice.accessToken}`);
    expect(res.status).toBe(200);
    const body = res.body as GqlBody & { errors: { extensions: Record<string, unknown> }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ message: 'Session store unavailable' });
    expect(body.errors[0].extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      status: 503,
      originalError: { statusCode: 503, message: 'Session store unavailable' },
    });
    expect(res.text).not.toContain(alice.accessToken);

    await redisServer.restart();
    // The client reconnects with a backoff: wait until the store answers again.
    for (let i = 0; i < 80; i += 1) {
      const probe = await request(bare.server).post('/login').query({ user: 'probe' });
      if (probe.status === 201) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const bob = await bare.login('bob');
    const ok = await bareGql('{ whoami }').set('Authorization', `Bearer ${bob.accessToken}`);
    expect(ok.body).toEqual({ data: { whoami: 'bob' } });
  });
});
