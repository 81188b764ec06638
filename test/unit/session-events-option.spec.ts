import { randomBytes } from 'node:crypto';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import type { SessionModuleOptions } from '../../src/config/session-options.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { SessionConfigError } from '../../src/session.exceptions.js';

function options(events: unknown): SessionModuleOptions {
  return {
    accessToken: { secret: randomBytes(48) },
    refreshToken: { secret: randomBytes(48) },
    repository: new MemorySessionRepository(),
    events,
  } as SessionModuleOptions;
}

describe('the events option', () => {
  it('defaults to no hook', () => {
    expect(resolveSessionConfig(options(undefined)).events).toEqual({});
    expect(resolveSessionConfig(options({})).events).toEqual({});
  });

  it('keeps the onEvent hook', () => {
    const onEvent = () => undefined;
    expect(resolveSessionConfig(options({ onEvent })).events.onEvent).toBe(onEvent);
  });

  it.each([
    ['events', 5],
    ['events', null],
    ['events.onEvent', { onEvent: 'log' }],
    ['events.onEvent', { onEvent: {} }],
  ])('refuses a bad %s at start-up', (option, events) => {
    expect(() => resolveSessionConfig(options(events))).toThrow(
      new SessionConfigError(
        option,
        option === 'events' ? 'must be an object' : 'must be a function',
      ),
    );
  });
});
