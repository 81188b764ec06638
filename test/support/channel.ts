import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** What a test subscriber heard on one channel. */
export interface HeardChannel {
  /** Every message so far, in order. */
  readonly messages: string[];
  /**
   * The messages heard since the last call, once everything published before this call has
   * arrived: `via` publishes a marker of its own after them, and this waits for it (a script's
   * PUBLISH is delivered before any later command's, so nothing is missed or left to chance).
   * On a cluster, `via` must be the node that ran the writes (the bus keeps one node's order).
   * Markers, this one's or another listener's, are left out.
   */
  drain(via: Pick<Redis, 'publish'>): Promise<string[]>;
  /** Waits until `count` messages have been heard in all (at most `timeoutMs`), then answers them. */
  waitFor(count: number, timeoutMs?: number): Promise<string[]>;
  stop(): void;
}

/**
 * Subscribes `subscriber` (a connection of its own, which the caller creates and this stops) to
 * `channel` and records what it hears.
 */
export async function hear(subscriber: Redis | Cluster, channel: string): Promise<HeardChannel> {
  const messages: string[] = [];
  let read = 0;
  const waiting = new Set<() => void>();
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    messages.push(message);
    for (const wake of waiting) wake();
  });
  await subscriber.subscribe(channel);

  const until = (done: () => boolean, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`not heard on ${channel} within ${timeoutMs} ms: ${messages.join(' ')}`));
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
    });

  return {
    messages,
    async drain(via) {
      const marker = `marker:${randomBytes(6).toString('hex')}`;
      await via.publish(channel, marker);
      await until(() => messages.includes(marker), 2000);
      const end = messages.indexOf(marker);
      const heard = messages.slice(read, end).filter((message) => !message.startsWith('marker:'));
      read = end + 1;
      return heard;
    },
    async waitFor(count, timeoutMs = 2000) {
      await until(() => messages.length >= count, timeoutMs);
      return [...messages];
    },
    stop() {
      subscriber.disconnect();
    },
  };
}
