import type { Cluster, Redis } from 'ioredis';

/**
 * Redis's clock as seen from here, measured at each (re)connection, for the deadline of a write:
 * the latest time, in Redis's clock, at which a write sent now may still take effect (see
 * `TOO_LATE_LUA`).
 */
export class RedisClock {
  /** Redis's clock minus ours, in ms; `null` until measured. */
  private offsetMs: number | null = null;

  /**
   * @param commandTimeoutMs the client's command timeout; 0 (none) gives writes no deadline.
   */
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly commandTimeoutMs: number,
  ) {
    if (commandTimeoutMs > 0) {
      redis.on('ready', () => void this.measure());
      if (redis.status === 'ready') void this.measure();
    }
  }

  /** The deadline of a write sent now, in Redis's clock (epoch ms), or 0 for none. */
  deadline(): number {
    if (this.offsetMs === null) return 0;
    return Math.floor(Date.now() + this.offsetMs + this.commandTimeoutMs);
  }

  private async measure(): Promise<void> {
    try {
      const before = Date.now();
      const [seconds, micros] = await this.redis.time();
      const after = Date.now();
      this.offsetMs = Number(seconds) * 1000 + Number(micros) / 1000 - (before + after) / 2;
    } catch {
      // Measured again at the next connection; until then writes carry no deadline.
    }
  }
}

/** The command timeout an app's own client was created with (0: none). */
export function commandTimeoutOf(client: Redis | Cluster): number {
  const options =
    'isCluster' in client && client.isCluster
      ? (client as Cluster).options.redisOptions
      : (client as Redis).options;
  return options?.commandTimeout ?? 0;
}
