import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { LiveSessionView } from '../interfaces/session.interface.js';
import { SESSION_CONFIG, SESSION_REDIS } from '../session.constants.js';
import { encodeUserId } from '../session-id.js';
import type { SessionRedisHandle } from '../session.providers.js';

/**
 * The optional in-process cache of live sessions (`revocation.cacheMs`), kept honest by a Redis
 * channel on which every instance announces every revocation and every change of a session's
 * role, claims or last credential check (`updateClaims`, `markFresh`): a cached entry holds the
 * session's live view (role, claims, `authenticatedAt`), dropped everywhere when it changes.
 *
 * Guarantees: an entry is served only while the subscriber connection is up (when it drops the
 * cache is emptied and bypassed until it is back); an entry never outlives `cacheMs` nor the
 * access token that read it; a read that raced with an announcement is not cached. So with the
 * channel connected, a revoked session is refused on every instance as soon as the announcement
 * arrives (milliseconds), and with it down, every request reads Redis (strict mode).
 */
@Injectable()
export class RevocationCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionRevocations');
  /**
   * Session id -> its live view and until when it may be served (epoch ms). Insertion order = age.
   */
  private readonly entries = new Map<string, { until: number; view: LiveSessionView }>();
  private subscriber: Redis | Cluster | null = null;
  private listening = false;
  /** Bumped by every announcement: a read that started before one is not cached. */
  private epoch = 0;

  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    @Inject(SESSION_REDIS) private readonly redis: SessionRedisHandle | null,
  ) {}

  /** Whether cached answers are served now: configured, and the channel is subscribed. */
  get trusted(): boolean {
    return this.listening;
  }

  /** Whether the cache is configured (it may still be bypassed while disconnected). */
  get enabled(): boolean {
    return this.config.revocation.cacheMs > 0 && this.redis !== null;
  }

  /**
   * The live view of a session (`null` when it is not live): from the cache when it can be
   * trusted, else from `read` (one store read), whose answer is then cached until `notAfter` at
   * the latest. Callers must not mutate the view.
   */
  async lookup(
    sessionId: string,
    notAfter: number,
    read: () => Promise<LiveSessionView | null>,
  ): Promise<LiveSessionView | null> {
    if (!this.listening) return read();
    const now = Date.now();
    const entry = this.entries.get(sessionId);
    if (entry !== undefined && entry.until > now) return entry.view;
    const epoch = this.epoch;
    const view = await read();
    if (view && this.listening && epoch === this.epoch) {
      this.remember(sessionId, view, Math.min(now + this.config.revocation.cacheMs, notAfter));
    }
    return view;
  }

  /** Announces ended or changed sessions to every instance (this one included). */
  async invalidate(sessionIds: string[]): Promise<void> {
    if (!this.enabled || sessionIds.length === 0) return;
    for (const id of sessionIds) this.forget(`s:${id}`);
    await Promise.all(sessionIds.map((id) => this.publish(`s:${id}`)));
  }

  /** Announces that every session of a user ended or changed. */
  async invalidateUser(userId: string): Promise<void> {
    if (!this.enabled) return;
    const message = `u:${encodeUserId(userId)}`;
    this.forget(message);
    await this.publish(message);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled || !this.redis) return;
    const { client } = this.redis;
    // A subscribed connection can do nothing else: the channel gets a connection of its own.
    const subscriber: Redis | Cluster =
      'isCluster' in client && client.isCluster
        ? (client as Cluster).duplicate()
        : (client as Redis).duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the command client already reports outages
    subscriber.on('message', (_channel: string, message: string) => this.forget(message));
    subscriber.on('ready', () => void this.listen());
    for (const event of ['close', 'reconnecting', 'end']) {
      subscriber.on(event, () => this.stopTrusting());
    }
    if (subscriber.status === 'ready') await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopTrusting();
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  private async listen(): Promise<void> {
    try {
      await this.subscriber?.subscribe(this.config.revocation.channel);
      this.listening = true;
    } catch {
      this.stopTrusting();
    }
  }

  /** Without the channel, a cached entry may have missed a revocation: drop them all. */
  private stopTrusting(): void {
    if (this.listening)
      this.logger.warn('Revocation channel lost: reading every session from Redis');
    this.listening = false;
    this.entries.clear();
    this.epoch += 1;
  }

  private forget(message: string): void {
    this.epoch += 1;
    if (message.startsWith('s:')) {
      this.entries.delete(message.slice(2));
    } else if (message.startsWith('u:')) {
      const owner = `${message.slice(2)}.`;
      for (const id of this.entries.keys()) {
        if (id.startsWith(owner)) this.entries.delete(id);
      }
    } else {
      this.entries.clear();
    }
  }

  private remember(sessionId: string, view: LiveSessionView, until: number): void {
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { until, view });
    if (this.entries.size > this.config.revocation.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * The revocation (or change) itself has happened; if the announcement cannot be sent (this
   * instance lost Redis), other instances serve the old view for at most `cacheMs` more.
   */
  private async publish(message: string): Promise<void> {
    try {
      await this.redis?.client.publish(this.config.revocation.channel, message);
    } catch {
      this.logger.warn(
        'Could not announce a session change: other instances may serve it for cacheMs',
      );
    }
  }
}
