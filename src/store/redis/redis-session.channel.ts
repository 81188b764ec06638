import type { Cluster, Redis } from 'ioredis';
import { encodeUserId, parseSessionId } from '../session-id.js';
import type { SessionChange, SessionChangeFeed, SessionChangeListener } from '../session-record.js';

/**
 * The Redis channel on which the scripts announce every write that changes what `readLive`
 * answers (`PUBLISH` inside the script, atomic with the write): `<keyPrefix>revocations`.
 * Messages: `s:<session id>` (one session), `u:<encoded user id>` (every session of a user).
 */
export function changeChannel(keyPrefix: string): string {
  return `${keyPrefix}revocations`;
}

/** The change a message announces; `null` (anything may have changed) for one not understood. */
export function parseChange(message: string): SessionChange {
  if (message.startsWith('s:')) {
    const sessionId = message.slice(2);
    return parseSessionId(sessionId) ? { sessionId } : null;
  }
  if (message.startsWith('u:')) {
    const userPart = message.slice(2);
    const userId = Buffer.from(userPart, 'base64url').toString('utf8');
    return userPart !== '' && encodeUserId(userId) === userPart ? { userId } : null;
  }
  return null;
}

/** How long `subscribe` waits for the first subscription (and a stop for the socket to close). */
const WAIT_MS = 2_000;

/**
 * The change feed of a Redis store: each subscriber gets a connection of its own (a subscribed
 * connection can do nothing else), a duplicate of the store's client (a Cluster duplicates as a
 * Cluster); nothing connects until someone subscribes. It reconnects as the client would, and
 * subscribes again each time it is ready.
 */
export class RedisSessionChangeFeed implements SessionChangeFeed {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly channel: string,
  ) {}

  async subscribe(listener: SessionChangeListener): Promise<() => Promise<void>> {
    const subscriber = duplicate(this.client);
    const state = { up: false, stopped: false };
    const tell = (up: boolean): void => {
      if (up === state.up || (up && state.stopped)) return;
      state.up = up;
      listener.connected(up);
    };
    let settle: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WAIT_MS);
      settle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    subscriber.on('error', () => undefined); // the store's own client reports outages
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        listener.changed(parseChange(message));
      } catch {
        // The listener's failure is its own; the connection goes on.
      }
    });
    subscriber.on('ready', () => {
      subscriber
        .subscribe(this.channel)
        .then(
          () => tell(subscriber.status === 'ready'),
          () => tell(false),
        )
        .finally(settle);
    });
    for (const event of ['close', 'reconnecting', 'end']) {
      subscriber.on(event, () => {
        tell(false);
        settle();
      });
    }
    subscriber.connect().catch(() => undefined); // failures show as 'close' / 'end'
    await first;
    return async () => {
      state.stopped = true;
      tell(false);
      await disconnect(subscriber);
    };
  }
}

/** A new, not yet connected client of the same server(s) and options. */
function duplicate(client: Redis | Cluster): Redis | Cluster {
  return isCluster(client)
    ? client.duplicate([], { lazyConnect: true })
    : client.duplicate({ lazyConnect: true });
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return 'isCluster' in client && client.isCluster === true;
}

/** Closes a connection and waits (at most `WAIT_MS`) for its socket, if it has one, to close. */
async function disconnect(client: Redis | Cluster): Promise<void> {
  if (!['connecting', 'connect', 'ready'].includes(client.status)) {
    client.disconnect(); // between two attempts: no socket, and no 'end' to wait for
    return;
  }
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, WAIT_MS);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.disconnect();
  await ended;
}
