import type {
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionRecord,
} from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';
import { newSessionId, randomId } from '../../src/store/session-id.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const GRACE = 10 * SECOND;

/** A repository under test and how to release what it holds. */
export interface RepositoryUnderTest {
  repo: SessionRepository;
  cleanup(): Promise<void>;
}

/** A user id no other test uses. */
export function freshUserId(label = 'user'): string {
  return `${label}-${randomId().slice(0, 12)}`;
}

/**
 * A new session record. Expiry times lie in the real future relative to `Date.now()` (a Redis
 * store also sets real TTLs from them); tests reach past them with their `now` argument.
 */
export function sessionRecord(overrides: Partial<NewSessionRecord> = {}): NewSessionRecord {
  const userId = overrides.userId ?? freshUserId();
  const createdAt = overrides.createdAt ?? Date.now();
  return {
    sessionId: newSessionId(userId),
    userId,
    role: 'user',
    claims: { tenant: 't-1', level: 3, beta: true },
    currentJti: randomId(),
    createdAt,
    lastSeenAt: createdAt,
    idleExpiresAt: createdAt + HOUR,
    absoluteExpiresAt: createdAt + DAY,
    authenticatedAt: createdAt,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    ip: '203.0.113.7',
    ...overrides,
  };
}

/** What `get()` must answer right after `create(record)`. */
export function asStored(record: NewSessionRecord): SessionRecord {
  return { ...record, previousJti: '', previousRetiredAt: 0 };
}

export function byId(a: SessionRecord, b: SessionRecord): number {
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

export function statuses(results: RotateResult[]): Record<RotateResult['status'], number> {
  const counts = { rotated: 0, grace: 0, reused: 0, missing: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/**
 * What every part of the contract suite works with: the repository of the running test (a new
 * one before each test) and helpers bound to it.
 */
export interface ContractContext {
  readonly repo: SessionRepository;
  /** Creates a session (no max-sessions limit) and returns its record. */
  created(overrides?: Partial<NewSessionRecord>): Promise<NewSessionRecord>;
  rotateInput(record: NewSessionRecord, overrides?: Partial<RotateInput>): RotateInput;
  /** Rotates, and fails the test unless the status is `rotated`. */
  rotated(input: RotateInput): Promise<SessionRecord>;
  /** Whether the session is live at `now`: `readLive` answers something. */
  isLive(sessionId: string, now: number): Promise<boolean>;
}

/** A context whose `repo` is whatever `current()` answers when a test runs. */
export function contractContext(current: () => SessionRepository): ContractContext {
  return {
    get repo() {
      return current();
    },
    async created(overrides = {}) {
      const record = sessionRecord(overrides);
      await expect(current().create(record, 0)).resolves.toEqual([]);
      return record;
    },
    rotateInput(record, overrides = {}) {
      return {
        sessionId: record.sessionId,
        presentedJti: record.currentJti,
        nextJti: randomId(),
        now: record.createdAt + SECOND,
        graceMs: GRACE,
        idleMs: HOUR,
        userAgent: 'curl/8.5.0',
        ip: '198.51.100.23',
        ...overrides,
      };
    },
    async rotated(input) {
      const result = await current().rotate(input);
      if (result.status !== 'rotated') throw new Error(`expected rotated, got ${result.status}`);
      return result.record;
    },
    async isLive(sessionId, now) {
      return (await current().readLive(sessionId, now)) !== null;
    },
  };
}

export { newSessionId, randomId };
