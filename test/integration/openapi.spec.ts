import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import { AccessGuard, SessionModule, type SessionModuleExtras } from 'nest-redis-sessions';
import {
  ApiSessionAuth,
  documentSessionRoutes,
  SESSION_SECURITY_SCHEMES,
} from 'nest-redis-sessions/openapi';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { ACCESS_SECRET, REFRESH_SECRET, testOptions } from '../support/session-app.js';

type Operation = {
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, { description?: string; headers?: Record<string, unknown> }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> };
  parameters?: { name: string; in: string; required?: boolean }[];
};

const KEY_PREFIX = uniquePrefix('openapi');

/** A route of the app's own, documented with `ApiSessionAuth()`. */
@Controller('profile')
class ProfileController {
  @Get()
  @UseGuards(AccessGuard)
  @ApiSessionAuth()
  get(): { ok: true } {
    return { ok: true };
  }
}

async function createApp(
  overrides: Parameters<typeof testOptions>[0],
  extras: SessionModuleExtras = {},
): Promise<INestApplication> {
  @Module({
    imports: [
      SessionModule.forRoot({
        ...testOptions({ redis: { url: redisUrl(), keyPrefix: KEY_PREFIX }, ...overrides }),
        ...extras,
      }),
    ],
    controllers: [ProfileController],
  })
  class OpenApiTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [OpenApiTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

function buildDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder().setTitle('test').setVersion('1');
  return SwaggerModule.createDocument(app, documentSessionRoutes(app, builder).build());
}

function operation(document: OpenAPIObject, path: string, method: string): Operation {
  const item = document.paths[path] as Record<string, Operation> | undefined;
  const op = item?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  return op;
}

/** The security scheme names an operation accepts (each requirement is one alternative). */
function schemesOf(op: Operation): string[] {
  return (op.security ?? []).flatMap((requirement) => Object.keys(requirement)).sort();
}

const { bearer, accessCookie, refreshCookie } = SESSION_SECURITY_SCHEMES;

/** Each route of the contract: method, path below the prefix, success code, errors, schemes. */
const ROUTES = [
  {
    method: 'post',
    path: 'refresh',
    ok: '200',
    errors: ['401', '403', '503'],
    schemes: [refreshCookie],
  },
  {
    method: 'post',
    path: 'logout',
    ok: '204',
    errors: ['401', '403', '503'],
    schemes: [accessCookie, bearer, refreshCookie],
  },
  {
    method: 'post',
    path: 'logout-all',
    ok: '204',
    errors: ['401', '403', '503'],
    schemes: [accessCookie, bearer],
  },
  {
    method: 'get',
    path: 'sessions',
    ok: '200',
    errors: ['401', '503'],
    schemes: [accessCookie, bearer],
  },
  {
    method: 'delete',
    path: 'sessions/{id}',
    ok: '204',
    errors: ['401', '403', '404', '503'],
    schemes: [accessCookie, bearer],
  },
] as const;

function expectNoSecrets(document: OpenAPIObject): void {
  const text = JSON.stringify(document);
  for (const secret of [ACCESS_SECRET, REFRESH_SECRET, redisUrl(), KEY_PREFIX]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/redis:\/\//);
}

describe.each([
  {
    name: 'the default prefix and cookies',
    prefix: 'auth',
    overrides: {},
    extras: {},
    accessName: 'access_token',
    refreshName: 'refresh_token',
  },
  {
    name: 'a custom prefix, prefixed custom cookie names and acceptFromBody',
    prefix: 'api/v1/session',
    overrides: {
      refreshToken: { secret: REFRESH_SECRET, acceptFromBody: true },
      cookies: { secure: true, prefix: true, accessName: 'at', refreshName: 'rt' },
    },
    extras: { routes: { prefix: '/api/v1/session/' } },
    accessName: '__Host-at',
    refreshName: '__Secure-rt',
  },
])('the OpenAPI document with $name', ({ prefix, overrides, extras, accessName, refreshName }) => {
  let app: INestApplication;
  let document: OpenAPIObject;

  beforeAll(async () => {
    app = await createApp(overrides, extras);
    document = buildDocument(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(ROUTES)(
    'documents $method $path with its security, success and error responses',
    ({ method, path, ok, errors, schemes }) => {
      const op = operation(document, `/${prefix}/${path}`, method);
      expect(op.tags).toEqual(['sessions']);
      expect(schemesOf(op)).toEqual([...schemes].sort());
      expect(Object.keys(op.responses).sort()).toEqual([ok, ...errors].sort());
      for (const code of errors) {
        const content = (op.responses[code] as { content?: Record<string, unknown> }).content;
        expect(content).toEqual({
          'application/json': { schema: { $ref: '#/components/schemas/SessionErrorBody' } },
        });
      }
    },
  );

  it('declares the bearer scheme and both cookies under the names the app uses', () => {
    const schemes = document.components?.securitySchemes ?? {};
    expect(schemes[bearer]).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes[accessCookie]).toMatchObject({ type: 'apiKey', in: 'cookie', name: accessName });
    expect(schemes[refreshCookie]).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: refreshName,
    });
    expect((schemes[refreshCookie] as { description: string }).description).toContain(`/${prefix}`);
  });

  it('documents the optional refresh body, the token answer and the cookies it sets', () => {
    const refresh = operation(document, `/${prefix}/refresh`, 'post');
    expect(refresh.requestBody?.required).toBe(false);
    expect(refresh.requestBody?.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/SessionRefreshBody',
    );
    expect(refresh.responses['200'].headers).toHaveProperty('Set-Cookie');
    const schemas = document.components?.schemas ?? {};
    expect(schemas.SessionRefreshBody).toMatchObject({
      type: 'object',
      properties: { refreshToken: { type: 'string' } },
    });
    expect(schemas.SessionRefreshResponse).toMatchObject({
      required: ['accessToken', 'accessTokenExpiresAt', 'sessionId'],
    });
    expect(schemas.SessionErrorBody).toMatchObject({
      required: ['statusCode', 'message'],
      properties: { statusCode: { type: 'integer' }, message: { type: 'string' } },
    });
    expect(schemas.SessionListBody).toMatchObject({
      properties: { sessions: { type: 'array' } },
    });
  });

  it('documents the session id of DELETE sessions/{id} as a required path parameter', () => {
    const op = operation(document, `/${prefix}/sessions/{id}`, 'delete');
    expect(op.parameters?.filter((p) => p.name === 'id')).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
  });

  it("documents the app's own routes marked with ApiSessionAuth()", () => {
    const op = operation(document, '/profile', 'get');
    expect(schemesOf(op)).toEqual([accessCookie, bearer].sort());
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '503']));
  });

  it('documents exactly the routes the app serves, with the 401 they answer without a token', async () => {
    const documented = Object.keys(document.paths).filter((p) => p.startsWith(`/${prefix}/`));
    expect(documented.sort()).toEqual(
      [...new Set(ROUTES.map((r) => `/${prefix}/${r.path}`))].sort(),
    );
    for (const { method, path } of ROUTES) {
      const url = `/${prefix}/${path.replace('{id}', 'some-session')}`;
      const res = await request(app.getHttpServer())[method](url);
      expect({ url, status: res.status }).toEqual({ url, status: 401 });
      expect(operation(document, `/${prefix}/${path}`, method).responses).toHaveProperty('401');
    }
  });

  it('contains no secret, Redis URL or key prefix', () => {
    expectNoSecrets(document);
  });
});

describe('documentSessionRoutes()', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createApp({});
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is idempotent: a second document has the same session routes, without duplicates', () => {
    const first = buildDocument(app);
    const second = buildDocument(app);
    expect(second.paths).toEqual(first.paths);
    const refresh = operation(second, '/auth/refresh', 'post');
    expect(refresh.tags).toEqual(['sessions']);
    expect(refresh.security).toEqual([{ [refreshCookie]: [] }]);
  });

  it('documents nothing under a prefix when the routes are off', async () => {
    const noRoutes = await createApp({}, { routes: false });
    try {
      const document = buildDocument(noRoutes);
      expect(Object.keys(document.paths)).toEqual(['/profile']);
      expect(document.components?.securitySchemes).toHaveProperty(bearer);
    } finally {
      await noRoutes.close();
    }
  });

  it('says so when the app has no SessionModule', async () => {
    @Module({})
    class EmptyModule {}
    const moduleRef = await Test.createTestingModule({ imports: [EmptyModule] }).compile();
    const empty = moduleRef.createNestApplication({ logger: false });
    try {
      expect(() => documentSessionRoutes(empty, new DocumentBuilder())).toThrow(
        'documentSessionRoutes(): the app has no SessionModule',
      );
    } finally {
      await empty.close();
    }
  });
});
