import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import type { ClientInfo } from '../http/client-info.js';
import { parseSessionId } from '../store/session-id.js';
import { SessionRepository } from '../store/session.repository.js';
import type { SessionEvent, SessionRevokedReason } from './session-events.js';

/** The part of `EventEmitter2` used here. */
interface Emitter {
  emitAsync(event: string, ...values: unknown[]): Promise<unknown[]>;
}

/** An optional peer: named in a variable so that nothing imports it statically. */
const EVENT_EMITTER_PACKAGE = '@nestjs/event-emitter';

/**
 * Delivers session events to `EventEmitter2` (when the app imports `EventEmitterModule` from the
 * optional peer `@nestjs/event-emitter`) and to the `events.onEvent` hook. Delivery is deferred
 * past the current request and every failure is caught: an event never slows or fails a request.
 * Expiries the store finds are reported as `session.revoked` with reason `idle` or `absolute`.
 */
@Injectable()
export class SessionEventPublisher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SessionEvents');
  private emitter: Emitter | null = null;
  private readonly stopObservingExpiry: () => void;

  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    private readonly moduleRef: ModuleRef,
    repository: SessionRepository,
  ) {
    this.stopObservingExpiry = repository.onExpired((expired) => {
      for (const { sessionId, reason, expiredAt, userId } of expired) {
        this.revoked([sessionId], reason, expiredAt, userId);
      }
    });
  }

  async onModuleInit(): Promise<void> {
    this.emitter = await findEventEmitter(this.moduleRef);
  }

  onModuleDestroy(): void {
    this.stopObservingExpiry();
  }

  /** Queues an event for delivery after the current turn of the event loop. */
  emit(event: SessionEvent): void {
    if (!this.active) return;
    const frozen = Object.freeze(event);
    setImmediate(() => this.deliver(frozen));
  }

  /** `session.revoked` for each session; the user is read from the id unless given. */
  revoked(sessionIds: string[], reason: SessionRevokedReason, at: number, userId?: string): void {
    for (const sessionId of sessionIds) {
      const owner = userId ?? parseSessionId(sessionId)?.userId;
      if (owner === undefined) continue;
      this.emit({ name: 'session.revoked', userId: owner, sessionId, at: new Date(at), reason });
    }
  }

  /** Whether anyone can receive events. */
  private get active(): boolean {
    return this.emitter !== null || this.config.events.onEvent !== undefined;
  }

  private deliver(event: SessionEvent): void {
    const { onEvent } = this.config.events;
    if (onEvent) this.guarded(event, () => onEvent(event));
    const emitter = this.emitter;
    if (emitter) this.guarded(event, () => emitter.emitAsync(event.name, event));
  }

  private guarded(event: SessionEvent, call: () => unknown): void {
    try {
      const result = call();
      if (isThenable(result)) result.then(undefined, () => this.failed(event));
    } catch {
      this.failed(event);
    }
  }

  /** Only the event name: an error message could quote anything. */
  private failed(event: SessionEvent): void {
    this.logger.error(`A listener of ${event.name} failed`);
  }
}

/** `ip` and `userAgent` of an event, left out when unknown. */
export function clientFields(client: ClientInfo): { ip?: string; userAgent?: string } {
  return {
    ...(client.ip ? { ip: client.ip } : {}),
    ...(client.userAgent ? { userAgent: client.userAgent } : {}),
  };
}

/** The app's `EventEmitter2`, or `null` when the peer is not installed or not imported. */
async function findEventEmitter(moduleRef: ModuleRef): Promise<Emitter | null> {
  let token: unknown;
  try {
    const peer = (await import(EVENT_EMITTER_PACKAGE)) as { EventEmitter2?: unknown };
    token = peer.EventEmitter2;
  } catch {
    return null;
  }
  if (typeof token !== 'function') return null;
  try {
    const emitter: unknown = moduleRef.get(token as new () => unknown, { strict: false });
    return isEmitter(emitter) ? emitter : null;
  } catch {
    return null; // installed, but the app does not import EventEmitterModule
  }
}

function isEmitter(value: unknown): value is Emitter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { emitAsync?: unknown }).emitAsync === 'function'
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
