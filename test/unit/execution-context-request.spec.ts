import type { ExecutionContext } from '@nestjs/common';
import { isUnsafeMethod } from '../../src/http/same-site.js';
import {
  rememberHandshake,
  requestOf,
  SOCKET_METHOD,
} from '../../src/http/execution-context-request.js';

/** An execution context of `type` over `args`, as Nest builds one (only what `requestOf` reads). */
function contextOf(
  type: string,
  args: unknown[],
  handler: () => void = handlerA,
): ExecutionContext {
  return {
    getType: () => type,
    getHandler: () => handler,
    getArgByIndex: (index: number) => args[index],
    getArgs: () => args,
    switchToHttp: () => ({ getRequest: () => args[0] }),
    switchToWs: () => ({ getClient: () => args[0], getData: () => args[1] }),
  } as unknown as ExecutionContext;
}

function handlerA(): void {}
function handlerB(): void {}

const httpRequest = { method: 'GET', headers: { authorization: 'Bearer a.b.c' } };

describe('requestOf', () => {
  it('gives the request of an HTTP call itself', () => {
    expect(requestOf(contextOf('http', [httpRequest, {}]))).toBe(httpRequest);
  });

  it("gives the GraphQL context's req (Apollo) or reply.request (Mercurius)", () => {
    expect(requestOf(contextOf('graphql', [{}, {}, { req: httpRequest }, {}]))).toBe(httpRequest);
    const mercurius = { reply: { request: httpRequest } };
    expect(requestOf(contextOf('graphql', [{}, {}, mercurius, {}]))).toBe(httpRequest);
  });

  it.each([
    ['no context', undefined],
    ['a null context', null],
    ['a string context', 'req'],
    ['a req without headers', { req: { method: 'POST' } }],
    ['a req whose headers are a string', { req: { headers: 'authorization: x' } }],
    ['a subscription context', { connectionParams: { authorization: 'Bearer a.b.c' } }],
  ])('gives an empty request for a GraphQL call with %s', (_case, gqlContext) => {
    expect(requestOf(contextOf('graphql', [{}, {}, gqlContext, {}]))).toEqual({ headers: {} });
  });

  it('gives an empty request for a transport it does not know (rpc)', () => {
    expect(requestOf(contextOf('rpc', [{ authorization: 'Bearer a.b.c' }, {}]))).toEqual({
      headers: {},
    });
  });

  it("sees a Socket.IO socket's handshake request as a state-changing request", () => {
    const handshake = { method: 'GET', headers: { cookie: 'x=1' }, rawHeaders: ['Cookie', 'x=1'] };
    const socket = { request: handshake, handshake: { address: '10.0.0.7' } };
    const view = requestOf(contextOf('ws', [socket, {}]));
    expect(view).toEqual({
      method: SOCKET_METHOD,
      headers: handshake.headers,
      rawHeaders: handshake.rawHeaders,
      ip: '10.0.0.7',
    });
    expect(isUnsafeMethod(view)).toBe(true);
    // One view per socket and handler: what the guard puts on it, that handler's decorators find.
    view.user = {
      userId: 'u',
      sessionId: 's',
      claims: {},
      accessTokenExpiresAt: new Date(0),
    };
    expect(requestOf(contextOf('ws', [socket, 'another message'])).user).toBe(view.user);
    // Another handler (a @Public() one, whose guard sets nothing) never sees it.
    const other = requestOf(contextOf('ws', [socket, {}], handlerB));
    expect(other.user).toBeUndefined();
    expect(other.headers).toBe(handshake.headers);
    // Nor does another socket.
    const second = { request: handshake, handshake: { address: '10.0.0.8' } };
    expect(requestOf(contextOf('ws', [second, {}])).user).toBeUndefined();
  });

  it('sees the upgrade request registered for a `ws` client, replacing an earlier view', () => {
    const client = { readyState: 1, send: () => undefined };
    expect(requestOf(contextOf('ws', [client, {}])).headers).toEqual({});
    const upgrade = { method: 'GET', headers: { authorization: 'Bearer a.b.c' } };
    rememberHandshake(client, upgrade);
    expect(requestOf(contextOf('ws', [client, {}])).headers).toBe(upgrade.headers);
  });

  it.each([
    ['no client', undefined],
    ['a string client', 'socket'],
    ['a client whose request has no headers', { request: { method: 'GET' } }],
  ])('gives a request without headers for a socket message with %s', (_case, client) => {
    expect(requestOf(contextOf('ws', [client, {}])).headers).toEqual({});
  });
});
