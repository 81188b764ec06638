import type { ExecutionContext, HttpException, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  SessionModule,
  SessionRepository,
  SessionService,
  type CreatedSession,
  type SessionModuleOptions,
  type SessionUser,
} from 'nest-redis-sessions';
import type { PrincipalRequest } from '../../src/http/execution-context-request.js';
import { TokenService } from '../../src/tokens/token.service.js';

/**
 * The guards' unit tests: the guards as Nest builds them (`SessionModule.forTesting()`, the
 * in-memory store: no Redis, no build), called with a hand-made `ExecutionContext`.
 */

/** The host every request is sent to; an `Origin` on it is the request's own site. */
export const HOST = 'api.example.test';
export const SAME_SITE = `https://${HOST}`;
export const FOREIGN_SITE = 'https://evil.example';
/** Shaped like a compact JWT (so it is read from the request) but signed by nobody. */
export const GARBAGE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl';
export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';

/** A testing module with the session module and the app's own `providers` (guards, say). */
export interface GuardModule {
  moduleRef: TestingModule;
  sessions: SessionService;
  store: SessionRepository;
  tokens: TokenService;
  /** A live session, as a login makes it. */
  login(user: SessionUser): Promise<CreatedSession>;
}

export async function guardModule(
  options: Partial<SessionModuleOptions> = {},
  providers: Provider[] = [],
): Promise<GuardModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forTesting({ customClaims: ['plan'], ...options })],
    providers,
  }).compile();
  const sessions = moduleRef.get(SessionService);
  return {
    moduleRef,
    sessions,
    store: moduleRef.get(SessionRepository),
    tokens: moduleRef.get(TokenService),
    login: (user) => sessions.create(user),
  };
}

/** A plain HTTP request to `HOST`: what a guard reads, and where it leaves the principal. */
export function httpRequest(
  method: string,
  headers: Record<string, string> = {},
): PrincipalRequest & { user?: unknown } {
  return { method, headers: { host: HOST, ...headers } };
}

/** A `Cookie` header with the given cookies. */
export function cookies(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/**
 * An HTTP execution context, as Nest builds one for `handler` of `controller` (only what the
 * guards read: the type, the request, the handler and the class for their metadata).
 */
export function httpContext(
  request: object,
  controller: abstract new (...args: never[]) => unknown,
  handler: string,
): ExecutionContext {
  const method = (controller.prototype as Record<string, unknown>)[handler];
  if (typeof method !== 'function') throw new Error(`${controller.name} has no ${handler}()`);
  const args = [request, {}, undefined];
  const host = {
    getRequest: () => request,
    getResponse: () => args[1],
    getNext: () => args[2],
  };
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => method,
    getArgs: () => args,
    getArgByIndex: (index: number) => args[index],
    switchToHttp: () => host,
    switchToRpc: () => {
      throw new Error('not an RPC context');
    },
    switchToWs: () => {
      throw new Error('not a WebSocket context');
    },
  } as unknown as ExecutionContext;
}

/** Runs `run` and expects it to throw (or reject with) exactly `type`, with `status`. */
export async function expectRefused(
  run: () => unknown,
  type: new () => HttpException,
  status: number,
): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as HttpException).constructor).toBe(type);
  expect((error as HttpException).getStatus()).toBe(status);
}
