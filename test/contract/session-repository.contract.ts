import type {
  ExpiredSession,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionRecord,
} from '../../src/repositories/session-record.interface.js';
import type { SessionRepository } from '../../src/repositories/session.repository.js';
import { newSessionId, randomId } from '../../src/session-id.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GRACE = 10 * SECOND;

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
    claims: '{"tenant":"t-1","scopes":["read","write"]}',
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
function asStored(record: NewSessionRecord): SessionRecord {
  return { ...record, previousJti: '', previousRetiredAt: 0 };
}

function byId(a: SessionRecord, b: SessionRecord): number {
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

function statuses(results: RotateResult[]): Record<RotateResult['status'], number> {
  const counts = { rotated: 0, grace: 0, reused: 0, missing: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/**
 * The behaviour every `SessionRepository` guarantees. `factory` runs before each test and
 * `cleanup` after it; each test uses its own user ids, so a shared store is fine.
 */
export function describeSessionRepository(
  name: string,
  factory: () => Promise<RepositoryUnderTest>,
): void {
  describe(`SessionRepository contract: ${name}`, () => {
    let subject: RepositoryUnderTest | undefined;
    let repo: SessionRepository;

    beforeEach(async () => {
      subject = await factory();
      repo = subject.repo;
    });

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    /** Creates a session (no max-sessions limit) and returns its record. */
    async function created(overrides: Partial<NewSessionRecord> = {}): Promise<NewSessionRecord> {
      const record = sessionRecord(overrides);
      await expect(repo.create(record, 0)).resolves.toEqual([]);
      return record;
    }

    function rotateInput(
      record: NewSessionRecord,
      overrides: Partial<RotateInput> = {},
    ): RotateInput {
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
    }

    async function rotated(input: RotateInput): Promise<SessionRecord> {
      const result = await repo.rotate(input);
      if (result.status !== 'rotated') throw new Error(`expected rotated, got ${result.status}`);
      return result.record;
    }

    describe('create, get, isLive and list', () => {
      it('returns every field of a created session unchanged', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;

        await expect(repo.get(record.sessionId, now)).resolves.toEqual(asStored(record));
        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(true);
        await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(record)]);
      });

      it('keeps an empty role, empty claims, empty user agent and empty ip as empty strings', async () => {
        const record = await created({ role: '', claims: '', userAgent: '', ip: '' });

        const stored = await repo.get(record.sessionId, record.createdAt);
        expect(stored).toEqual(asStored(record));
        expect(stored?.role).toBe('');
        expect(stored?.claims).toBe('');
      });

      it('keeps long and unusual field values intact', async () => {
        const record = await created({
          role: 'admin:{ops}',
          claims: JSON.stringify({ name: 'Zoë {x}:y', emoji: '🔐', nested: { a: [1, 2, 3] } }),
          userAgent: `Mozilla/5.0 ${'x'.repeat(500)} ünïcødé`,
          ip: '2001:db8::8a2e:370:7334',
        });

        await expect(repo.get(record.sessionId, record.createdAt)).resolves.toEqual(
          asStored(record),
        );
      });

      it('stores sessions of user ids with braces, colons, spaces and unicode apart and intact', async () => {
        const suffix = randomId().slice(0, 8);
        const userIds = [
          `{alice}:${suffix}`,
          `alice}:${suffix}`,
          `{alice:${suffix}`,
          `a:b:{c}:index:${suffix}`,
          `ünïcødé 用户 🎉 ${suffix}`,
          `  spaced out ${suffix}  `,
        ];
        const records: NewSessionRecord[] = [];
        for (const userId of userIds) records.push(await created({ userId }));
        const now = records[0].createdAt + SECOND;

        for (const record of records) {
          await expect(repo.get(record.sessionId, now)).resolves.toEqual(asStored(record));
          await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(record)]);
        }
      });

      it('lists all of a user’s live sessions and none of another user’s', async () => {
        const userId = freshUserId('alice');
        const mine = [
          await created({ userId }),
          await created({ userId }),
          await created({ userId }),
        ];
        const theirs = await created({ userId: freshUserId('bob') });
        const now = mine[0].createdAt + SECOND;

        const listed = await repo.list(userId, now);
        expect([...listed].sort(byId)).toEqual(mine.map(asStored).sort(byId));
        await expect(repo.list(theirs.userId, now)).resolves.toEqual([asStored(theirs)]);
      });

      it('lists nothing for a user without sessions', async () => {
        await expect(repo.list(freshUserId('nobody'), Date.now())).resolves.toEqual([]);
      });

      it('answers absence for an unknown session id', async () => {
        const unknown = newSessionId(freshUserId());
        const now = Date.now();

        await expect(repo.get(unknown, now)).resolves.toBeNull();
        await expect(repo.isLive(unknown, now)).resolves.toBe(false);
        await expect(repo.revoke(unknown)).resolves.toBe(false);
        await expect(
          repo.rotate({ ...rotateInput(sessionRecord()), sessionId: unknown }),
        ).resolves.toEqual({ status: 'missing' });
      });

      it('treats a malformed session id as absent instead of failing', async () => {
        const now = Date.now();
        for (const bad of ['', 'not-a-session-id', 'a.b', '{x}:index', '*', '..']) {
          await expect(repo.get(bad, now)).resolves.toBeNull();
          await expect(repo.isLive(bad, now)).resolves.toBe(false);
          await expect(repo.revoke(bad)).resolves.toBe(false);
          await expect(
            repo.rotate({ ...rotateInput(sessionRecord()), sessionId: bad }),
          ).resolves.toEqual({ status: 'missing' });
        }
      });

      it('hands out copies: changing a returned record does not change the store', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;

        const fetched = await repo.get(record.sessionId, now);
        if (!fetched) throw new Error('session not found');
        fetched.currentJti = 'tampered';
        fetched.idleExpiresAt = 0;
        const [listed] = await repo.list(record.userId, now);
        listed.role = 'admin';

        await expect(repo.get(record.sessionId, now)).resolves.toEqual(asStored(record));

        const result = await repo.rotate(rotateInput(record, { now }));
        if (result.status !== 'rotated') throw new Error(`expected rotated, got ${result.status}`);
        const expected = { ...result.record };
        result.record.currentJti = 'tampered';
        const grace = await repo.rotate(rotateInput(record, { now }));
        if (grace.status !== 'grace') throw new Error(`expected grace, got ${grace.status}`);
        grace.record.currentJti = 'tampered';

        await expect(repo.get(record.sessionId, now)).resolves.toEqual(expected);
      });

      it('answers ping', async () => {
        await expect(repo.ping()).resolves.toBeUndefined();
      });
    });

    describe('expiry', () => {
      it('ends a session at its idle expiry', async () => {
        const record = await created();
        const expiresAt = record.idleExpiresAt; // before the absolute expiry

        await expect(repo.isLive(record.sessionId, expiresAt - 1)).resolves.toBe(true);
        await expect(repo.get(record.sessionId, expiresAt - 1)).resolves.not.toBeNull();
        await expect(repo.isLive(record.sessionId, expiresAt)).resolves.toBe(false);
        await expect(repo.get(record.sessionId, expiresAt)).resolves.toBeNull();
        await expect(repo.list(record.userId, expiresAt)).resolves.toEqual([]);
        await expect(repo.rotate(rotateInput(record, { now: expiresAt }))).resolves.toEqual({
          status: 'missing',
        });
      });

      it('ends a session at its absolute expiry even when its idle expiry is later', async () => {
        const createdAt = Date.now();
        const record = await created({
          createdAt,
          idleExpiresAt: createdAt + DAY,
          absoluteExpiresAt: createdAt + HOUR,
        });
        const expiresAt = record.absoluteExpiresAt;

        await expect(repo.isLive(record.sessionId, expiresAt - 1)).resolves.toBe(true);
        await expect(repo.isLive(record.sessionId, expiresAt)).resolves.toBe(false);
        await expect(repo.get(record.sessionId, expiresAt + 1)).resolves.toBeNull();
        await expect(repo.list(record.userId, expiresAt)).resolves.toEqual([]);
        await expect(repo.rotate(rotateInput(record, { now: expiresAt + 1 }))).resolves.toEqual({
          status: 'missing',
        });
      });

      it('lists only the sessions still live, leaving the others out', async () => {
        const userId = freshUserId();
        const createdAt = Date.now();
        const shortLived = await created({ userId, createdAt, idleExpiresAt: createdAt + MINUTE });
        const longLived = await created({ userId, createdAt });
        const now = createdAt + 2 * MINUTE;

        await expect(repo.list(userId, shortLived.createdAt + SECOND)).resolves.toHaveLength(2);
        await expect(repo.list(userId, now)).resolves.toEqual([asStored(longLived)]);
        await expect(repo.isLive(longLived.sessionId, now)).resolves.toBe(true);
      });
    });

    describe('expiry reports (onExpired)', () => {
      function listen(): { reports: ExpiredSession[]; stop: () => void } {
        const reports: ExpiredSession[] = [];
        const stop = repo.onExpired((expired) => reports.push(...expired));
        return { reports, stop };
      }

      it.each([
        ['idle', HOUR, DAY],
        ['absolute', DAY, HOUR],
      ] as const)(
        'reports a session ended by its %s expiry once, whatever comes across it',
        async (reason, idle, absolute) => {
          const createdAt = Date.now();
          const record = await created({
            createdAt,
            idleExpiresAt: createdAt + idle,
            absoluteExpiresAt: createdAt + absolute,
          });
          const other = await created({ userId: record.userId, createdAt });
          const expiredAt = createdAt + Math.min(idle, absolute);
          const { reports, stop } = listen();
          try {
            await expect(repo.list(record.userId, expiredAt - 1)).resolves.toHaveLength(2);
            expect(reports).toEqual([]);

            await repo.get(record.sessionId, expiredAt);
            await expect(repo.list(record.userId, expiredAt)).resolves.toHaveLength(0);
            await repo.rotate(rotateInput(record, { now: expiredAt + 1 }));
            await repo.list(record.userId, expiredAt + 2);

            const mine = reports.filter((r) => r.sessionId === record.sessionId);
            expect(mine).toEqual([
              { sessionId: record.sessionId, userId: record.userId, reason, expiredAt },
            ]);
            // The other session (same expiry times as the defaults) is reported on its own.
            expect(reports.every((r) => [record.sessionId, other.sessionId].includes(r.sessionId)));
          } finally {
            stop();
          }
        },
      );

      it('reports a session found expired by a refresh', async () => {
        const record = await created();
        const { reports, stop } = listen();
        try {
          await expect(
            repo.rotate(rotateInput(record, { now: record.idleExpiresAt })),
          ).resolves.toEqual({ status: 'missing' });
          await repo.list(record.userId, record.idleExpiresAt);
          expect(reports).toEqual([
            {
              sessionId: record.sessionId,
              userId: record.userId,
              reason: 'idle',
              expiredAt: record.idleExpiresAt,
            },
          ]);
        } finally {
          stop();
        }
      });

      it('reports an expired session pruned by a login of the same user', async () => {
        const record = await created();
        const { reports, stop } = listen();
        try {
          await repo.create(
            sessionRecord({ userId: record.userId, createdAt: record.idleExpiresAt + 1 }),
            0,
          );
          expect(reports.map((r) => [r.sessionId, r.reason])).toEqual([[record.sessionId, 'idle']]);
        } finally {
          stop();
        }
      });

      it('reports nothing to a listener that was removed, nor for live sessions', async () => {
        const record = await created();
        const { reports, stop } = listen();
        await repo.list(record.userId, record.createdAt + SECOND);
        await repo.revoke(record.sessionId);
        stop();
        const late = await created();
        await repo.list(late.userId, late.idleExpiresAt);
        expect(reports).toEqual([]);
      });
    });

    describe('authenticatedAt, markFresh, updateClaims and readLive', () => {
      it('reads the live view of a session: role, claims, authenticatedAt', async () => {
        const record = await created({ authenticatedAt: Date.now() - MINUTE });
        const now = record.createdAt + SECOND;

        await expect(repo.readLive(record.sessionId, now)).resolves.toEqual({
          role: record.role,
          claims: record.claims,
          authenticatedAt: record.authenticatedAt,
        });
        await expect(repo.get(record.sessionId, now)).resolves.toMatchObject({
          authenticatedAt: record.authenticatedAt,
        });
      });

      it('reads no live view of an unknown, malformed, revoked or expired session', async () => {
        const record = await created();
        const revoked = await created();
        await repo.revoke(revoked.sessionId);
        const now = record.createdAt + SECOND;

        await expect(repo.readLive(newSessionId(record.userId), now)).resolves.toBeNull();
        await expect(repo.readLive('not-a-session-id', now)).resolves.toBeNull();
        await expect(repo.readLive(revoked.sessionId, now)).resolves.toBeNull();
        await expect(repo.readLive(record.sessionId, record.idleExpiresAt)).resolves.toBeNull();
      });

      it('marks a live session fresh without touching anything else', async () => {
        const record = await created();
        const at = record.createdAt + 5 * MINUTE;

        await expect(repo.markFresh(record.sessionId, at, at)).resolves.toBe(true);

        await expect(repo.get(record.sessionId, at)).resolves.toEqual({
          ...asStored(record),
          authenticatedAt: at,
        });
        await expect(repo.readLive(record.sessionId, at)).resolves.toMatchObject({
          authenticatedAt: at,
        });
      });

      it('keeps authenticatedAt through rotations', async () => {
        const record = await created();
        const at = record.createdAt + MINUTE;
        await repo.markFresh(record.sessionId, at, at);

        const next = await rotated(rotateInput(record, { now: at + MINUTE }));

        expect(next.authenticatedAt).toBe(at);
        await expect(repo.get(record.sessionId, at + MINUTE)).resolves.toMatchObject({
          authenticatedAt: at,
        });
      });

      it('never marks fresh, nor brings back, an unknown, revoked or expired session', async () => {
        const record = await created();
        const revoked = await created();
        await repo.revoke(revoked.sessionId);
        const unknown = newSessionId(record.userId);
        const late = record.idleExpiresAt;

        await expect(repo.markFresh(unknown, late - 1, late - 1)).resolves.toBe(false);
        await expect(repo.markFresh('garbage', late - 1, late - 1)).resolves.toBe(false);
        await expect(repo.markFresh(revoked.sessionId, late - 1, late - 1)).resolves.toBe(false);
        await expect(repo.markFresh(record.sessionId, late, late)).resolves.toBe(false);

        await expect(repo.get(unknown, record.createdAt)).resolves.toBeNull();
        await expect(repo.get(revoked.sessionId, record.createdAt)).resolves.toBeNull();
        await expect(repo.isLive(record.sessionId, late)).resolves.toBe(false);
      });

      it('updates the role and claims of one session only', async () => {
        const userId = freshUserId();
        const target = await created({ userId });
        const sibling = await created({ userId });
        const now = target.createdAt + SECOND;

        await expect(
          repo.updateClaims(
            { sessionId: target.sessionId },
            { role: 'admin', claims: '{"tenant":"t-2"}' },
            now,
          ),
        ).resolves.toBe(1);

        await expect(repo.get(target.sessionId, now)).resolves.toEqual({
          ...asStored(target),
          role: 'admin',
          claims: '{"tenant":"t-2"}',
        });
        await expect(repo.readLive(target.sessionId, now)).resolves.toMatchObject({
          role: 'admin',
          claims: '{"tenant":"t-2"}',
        });
        await expect(repo.get(sibling.sessionId, now)).resolves.toEqual(asStored(sibling));
      });

      it('updates every live session of a user, and only theirs', async () => {
        const userId = freshUserId();
        const createdAt = Date.now();
        const mine = [await created({ userId }), await created({ userId })];
        const expired = await created({ userId, createdAt, idleExpiresAt: createdAt + MINUTE });
        const theirs = await created({ userId: freshUserId('bob') });
        const now = createdAt + 2 * MINUTE;

        await expect(repo.updateClaims({ userId }, { role: '' }, now)).resolves.toBe(2);

        for (const record of mine) {
          await expect(repo.get(record.sessionId, now)).resolves.toEqual({
            ...asStored(record),
            role: '',
          });
        }
        await expect(repo.get(theirs.sessionId, now)).resolves.toEqual(asStored(theirs));
        await expect(repo.isLive(expired.sessionId, now)).resolves.toBe(false);
      });

      it('leaves a field that is not given unchanged', async () => {
        const record = await created({ role: 'editor' });
        const now = record.createdAt + SECOND;

        await repo.updateClaims({ sessionId: record.sessionId }, { claims: '' }, now);

        await expect(repo.get(record.sessionId, now)).resolves.toEqual({
          ...asStored(record),
          claims: '',
        });
      });

      it('never creates, extends or brings back a session when updating claims', async () => {
        const record = await created();
        const revoked = await created({ userId: record.userId });
        await repo.revoke(revoked.sessionId);
        const unknown = newSessionId(record.userId);
        const now = record.createdAt + SECOND;

        await expect(
          repo.updateClaims({ sessionId: unknown }, { role: 'admin' }, now),
        ).resolves.toBe(0);
        await expect(
          repo.updateClaims({ sessionId: revoked.sessionId }, { role: 'admin' }, now),
        ).resolves.toBe(0);
        await expect(
          repo.updateClaims({ sessionId: 'garbage' }, { role: 'admin' }, now),
        ).resolves.toBe(0);
        await expect(
          repo.updateClaims({ userId: freshUserId('nobody') }, { role: 'x' }, now),
        ).resolves.toBe(0);

        await expect(repo.get(unknown, now)).resolves.toBeNull();
        await expect(repo.get(revoked.sessionId, now)).resolves.toBeNull();
        await expect(repo.get(record.sessionId, now)).resolves.toEqual(asStored(record));
        await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(record)]);

        const late = record.idleExpiresAt;
        await expect(
          repo.updateClaims({ sessionId: record.sessionId }, { role: 'x' }, late),
        ).resolves.toBe(0);
        await expect(
          repo.updateClaims({ userId: record.userId }, { role: 'x' }, late),
        ).resolves.toBe(0);
        await expect(repo.isLive(record.sessionId, late)).resolves.toBe(false);
      });

      it('keeps updated claims through a rotation, and a rotation keeps them', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;
        await repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now);

        const next = await rotated(rotateInput(record, { now: now + SECOND }));

        expect(next.role).toBe('admin');
        expect(next.claims).toBe(record.claims);
      });

      it('loses neither a claims update nor a rotation when they race', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;
        const input = rotateInput(record, { now });

        const [, result] = await Promise.all([
          repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now),
          repo.rotate(input),
        ]);

        expect(result.status).toBe('rotated');
        await expect(repo.get(record.sessionId, now)).resolves.toMatchObject({
          role: 'admin',
          currentJti: input.nextJti,
        });
      });
    });

    describe('rotate', () => {
      it('rotates the current jti: new jti current, old one previous, activity recorded', async () => {
        const record = await created();
        const input = rotateInput(record, { now: record.createdAt + 5 * MINUTE });

        const result = await repo.rotate(input);

        const expected: SessionRecord = {
          ...asStored(record),
          currentJti: input.nextJti,
          previousJti: record.currentJti,
          previousRetiredAt: input.now,
          lastSeenAt: input.now,
          idleExpiresAt: input.now + input.idleMs,
          userAgent: input.userAgent,
          ip: input.ip,
        };
        expect(result).toEqual({ status: 'rotated', record: expected });
        await expect(repo.get(record.sessionId, input.now)).resolves.toEqual(expected);
        await expect(repo.list(record.userId, input.now)).resolves.toEqual([expected]);
      });

      it('rotates again with the jti it just issued', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record));
        const secondInput = rotateInput(record, {
          presentedJti: first.currentJti,
          now: first.lastSeenAt + MINUTE,
        });

        const second = await rotated(secondInput);

        expect(second.currentJti).toBe(secondInput.nextJti);
        expect(second.previousJti).toBe(first.currentJti);
        expect(second.previousRetiredAt).toBe(secondInput.now);
      });

      it('answers a just-retired jti inside the grace window with the current jti, changing nothing', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record));
        const late = first.previousRetiredAt + GRACE - 1;

        const result = await repo.rotate(
          rotateInput(record, { now: late, userAgent: 'other-tab', ip: '192.0.2.1' }),
        );

        expect(result).toEqual({ status: 'grace', record: first });
        await expect(repo.get(record.sessionId, late)).resolves.toEqual(first);
        // The session goes on with the current jti, not with the one the grace call proposed.
        const next = await rotated(
          rotateInput(record, { presentedJti: first.currentJti, now: late + 1 }),
        );
        expect(next.previousJti).toBe(first.currentJti);
      });

      it('answers every replay inside the grace window, not only the first', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record));

        for (const delay of [0, 1, GRACE / 2, GRACE - 1]) {
          const now = first.previousRetiredAt + delay;
          await expect(repo.rotate(rotateInput(record, { now }))).resolves.toEqual({
            status: 'grace',
            record: first,
          });
        }
      });

      it('refuses a refresh jti replayed after the grace window and deletes the session', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record));
        const now = first.previousRetiredAt + GRACE;

        await expect(repo.rotate(rotateInput(record, { now }))).resolves.toEqual({
          status: 'reused',
          userId: record.userId,
        });

        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
        await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
        await expect(repo.list(record.userId, now)).resolves.toEqual([]);
        // The legitimate holder of the current jti is locked out too.
        await expect(
          repo.rotate(rotateInput(record, { presentedJti: first.currentJti, now: now + 1 })),
        ).resolves.toEqual({ status: 'missing' });
      });

      it('treats a just-retired jti as reuse when the grace window is 0', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record, { graceMs: 0 }));

        await expect(
          repo.rotate(rotateInput(record, { graceMs: 0, now: first.previousRetiredAt })),
        ).resolves.toEqual({ status: 'reused', userId: record.userId });
        await expect(repo.isLive(record.sessionId, first.previousRetiredAt)).resolves.toBe(false);
      });

      it('refuses a jti two rotations old even inside the grace window', async () => {
        const record = await created();
        const first = await rotated(rotateInput(record));
        const second = await rotated(
          rotateInput(record, { presentedJti: first.currentJti, now: first.lastSeenAt + 1 }),
        );

        await expect(
          repo.rotate(rotateInput(record, { now: second.lastSeenAt + 1 })),
        ).resolves.toEqual({ status: 'reused', userId: record.userId });
        await expect(repo.get(record.sessionId, second.lastSeenAt + 1)).resolves.toBeNull();
      });

      it('deletes the session when an unknown jti is presented, and only that session', async () => {
        const record = await created();
        const sibling = await created({ userId: record.userId });
        const now = record.createdAt + SECOND;

        await expect(
          repo.rotate(rotateInput(record, { presentedJti: randomId(), now })),
        ).resolves.toEqual({ status: 'reused', userId: record.userId });

        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
        await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(sibling)]);
        await expect(
          repo.rotate(rotateInput(sibling, { now })).then((r) => r.status),
        ).resolves.toBe('rotated');
      });

      it('deletes the session when an empty jti is presented to a never-rotated session', async () => {
        const record = await created();

        await expect(repo.rotate(rotateInput(record, { presentedJti: '' }))).resolves.toEqual({
          status: 'reused',
          userId: record.userId,
        });
        await expect(repo.isLive(record.sessionId, record.createdAt)).resolves.toBe(false);
      });

      it('rotating one session leaves the user’s other sessions untouched', async () => {
        const record = await created();
        const sibling = await created({ userId: record.userId });

        await rotated(rotateInput(record));

        await expect(repo.get(sibling.sessionId, record.createdAt + SECOND)).resolves.toEqual(
          asStored(sibling),
        );
      });

      it('extends the idle expiry on rotation', async () => {
        const createdAt = Date.now();
        const record = await created({
          createdAt,
          idleExpiresAt: createdAt + HOUR,
          absoluteExpiresAt: createdAt + DAY,
        });
        const now = createdAt + 30 * MINUTE;

        await rotated(rotateInput(record, { now, idleMs: HOUR }));

        await expect(repo.isLive(record.sessionId, record.idleExpiresAt + 1)).resolves.toBe(true);
        await expect(repo.isLive(record.sessionId, now + HOUR - 1)).resolves.toBe(true);
        await expect(repo.isLive(record.sessionId, now + HOUR)).resolves.toBe(false);
      });

      it('never extends a session past its absolute expiry', async () => {
        const createdAt = Date.now();
        const record = await created({
          createdAt,
          idleExpiresAt: createdAt + HOUR,
          absoluteExpiresAt: createdAt + 2 * HOUR,
        });
        const now = createdAt + 30 * MINUTE; // now + idleMs lies past the absolute expiry

        const result = await rotated(rotateInput(record, { now, idleMs: 2 * HOUR }));

        // The stored idle expiry may be clamped or not; the session's end may not move.
        expect(Math.min(result.idleExpiresAt, result.absoluteExpiresAt)).toBe(
          record.absoluteExpiresAt,
        );
        expect(result.absoluteExpiresAt).toBe(record.absoluteExpiresAt);
        await expect(repo.isLive(record.sessionId, record.absoluteExpiresAt - 1)).resolves.toBe(
          true,
        );
        await expect(repo.isLive(record.sessionId, record.absoluteExpiresAt)).resolves.toBe(false);
        await expect(repo.get(record.sessionId, record.absoluteExpiresAt)).resolves.toBeNull();
        await expect(repo.list(record.userId, record.absoluteExpiresAt)).resolves.toEqual([]);
        await expect(
          repo.rotate(
            rotateInput(record, {
              presentedJti: result.currentJti,
              now: record.absoluteExpiresAt,
            }),
          ),
        ).resolves.toEqual({ status: 'missing' });
      });

      it('answers missing for an expired session and does not bring it back', async () => {
        const record = await created();
        const late = record.idleExpiresAt;

        await expect(repo.rotate(rotateInput(record, { now: late }))).resolves.toEqual({
          status: 'missing',
        });
        await expect(repo.isLive(record.sessionId, late)).resolves.toBe(false);
        await expect(repo.list(record.userId, late)).resolves.toEqual([]);
      });
    });

    describe('revoke and revokeAll', () => {
      it('revokes a session for good: gone, not rotatable, not counted twice', async () => {
        const record = await created();
        const sibling = await created({ userId: record.userId });
        const now = record.createdAt + SECOND;

        await expect(repo.revoke(record.sessionId)).resolves.toBe(true);

        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
        await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
        await expect(repo.rotate(rotateInput(record, { now }))).resolves.toEqual({
          status: 'missing',
        });
        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
        await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(sibling)]);
        await expect(repo.revoke(record.sessionId)).resolves.toBe(false);
      });

      it('revokes every session of a user and counts them, leaving other users alone', async () => {
        const userId = freshUserId('alice');
        const mine = [
          await created({ userId }),
          await created({ userId }),
          await created({ userId }),
        ];
        const otherUser = freshUserId('bob');
        const theirs = [await created({ userId: otherUser }), await created({ userId: otherUser })];
        const now = mine[0].createdAt + SECOND;

        const ended = await repo.revokeAll(userId);
        expect([...ended].sort()).toEqual(mine.map((r) => r.sessionId).sort());

        await expect(repo.list(userId, now)).resolves.toEqual([]);
        for (const record of mine) {
          await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
          await expect(repo.rotate(rotateInput(record, { now }))).resolves.toEqual({
            status: 'missing',
          });
        }
        const listed = await repo.list(otherUser, now);
        expect([...listed].sort(byId)).toEqual(theirs.map(asStored).sort(byId));
        await expect(repo.revokeAll(userId)).resolves.toEqual([]);
      });

      it('revokes every session but the one excepted', async () => {
        const userId = freshUserId();
        const [keep, ...others] = [
          await created({ userId }),
          await created({ userId }),
          await created({ userId }),
        ];
        const now = keep.createdAt + SECOND;

        const ended = await repo.revokeAll(userId, keep.sessionId);
        expect([...ended].sort()).toEqual(others.map((r) => r.sessionId).sort());

        await expect(repo.list(userId, now)).resolves.toEqual([asStored(keep)]);
        for (const record of others) {
          await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
        }
        await expect(repo.rotate(rotateInput(keep, { now })).then((r) => r.status)).resolves.toBe(
          'rotated',
        );
      });

      it('ignores an excepted session id that is not one of the user’s sessions', async () => {
        const userId = freshUserId('alice');
        await created({ userId });
        await created({ userId });
        const foreign = await created({ userId: freshUserId('bob') });
        const now = foreign.createdAt + SECOND;

        await expect(repo.revokeAll(userId, foreign.sessionId)).resolves.toHaveLength(2);
        await expect(repo.revokeAll(userId, newSessionId(userId))).resolves.toEqual([]);

        await expect(repo.list(userId, now)).resolves.toEqual([]);
        await expect(repo.isLive(foreign.sessionId, now)).resolves.toBe(true);
      });

      it('neither finds nor counts a session whose expiry had passed when it was created', async () => {
        const userId = freshUserId();
        const createdAt = Date.now() - 2 * HOUR;
        const dead = await created({ userId, createdAt, idleExpiresAt: createdAt + HOUR });
        const other = sessionRecord({ userId, createdAt, idleExpiresAt: createdAt + HOUR });
        await repo.create(other, 0);

        await expect(repo.isLive(dead.sessionId, Date.now())).resolves.toBe(false);
        await expect(repo.revoke(dead.sessionId)).resolves.toBe(false);
        await expect(repo.revokeAll(userId)).resolves.toEqual([]);
      });

      it('answers 0 when a user without sessions is revoked', async () => {
        await expect(repo.revokeAll(freshUserId('nobody'))).resolves.toEqual([]);
      });
    });

    describe('maxSessions', () => {
      it('evicts the earliest-created session when a login goes over the limit', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        const first = sessionRecord({ userId, createdAt: t0 });
        const second = sessionRecord({ userId, createdAt: t0 + 1 });
        const third = sessionRecord({ userId, createdAt: t0 + 2 });
        await expect(repo.create(first, 3)).resolves.toEqual([]);
        await expect(repo.create(second, 3)).resolves.toEqual([]);
        await expect(repo.create(third, 3)).resolves.toEqual([]);
        const fourth = sessionRecord({ userId, createdAt: t0 + 3 });

        await expect(repo.create(fourth, 3)).resolves.toEqual([first.sessionId]);

        const now = t0 + SECOND;
        await expect(repo.isLive(first.sessionId, now)).resolves.toBe(false);
        const listed = await repo.list(userId, now);
        expect([...listed].sort(byId)).toEqual([second, third, fourth].map(asStored).sort(byId));
      });

      it('orders eviction by creation time, not by the order of the calls', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        const middle = await created({ userId, createdAt: t0 + 20 });
        const earliest = await created({ userId, createdAt: t0 + 10 });
        const latest = await created({ userId, createdAt: t0 + 30 });
        const newest = sessionRecord({ userId, createdAt: t0 + 40 });

        const evicted = await repo.create(newest, 2);

        expect([...evicted].sort()).toEqual([earliest.sessionId, middle.sessionId].sort());
        const listed = await repo.list(userId, t0 + SECOND);
        expect([...listed].sort(byId)).toEqual([latest, newest].map(asStored).sort(byId));
      });

      it('keeps exactly the limit over many logins and reports each evicted session once', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        const limit = 5;
        const records = Array.from({ length: 20 }, (_, i) =>
          sessionRecord({ userId, createdAt: t0 + i }),
        );
        const evicted: string[] = [];

        for (const [i, record] of records.entries()) {
          evicted.push(...(await repo.create(record, limit)));
          await expect(repo.list(userId, t0 + SECOND)).resolves.toHaveLength(
            Math.min(i + 1, limit),
          );
        }

        expect(evicted).toEqual(records.slice(0, 15).map((r) => r.sessionId));
        const listed = await repo.list(userId, t0 + SECOND);
        expect([...listed].sort(byId)).toEqual(records.slice(15).map(asStored).sort(byId));
      });

      it('keeps only the new session when the limit is 1', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        const old = [
          await created({ userId, createdAt: t0 }),
          await created({ userId, createdAt: t0 + 1 }),
        ];
        const fresh = sessionRecord({ userId, createdAt: t0 + 2 });

        const evicted = await repo.create(fresh, 1);

        expect([...evicted].sort()).toEqual(old.map((r) => r.sessionId).sort());
        await expect(repo.list(userId, t0 + SECOND)).resolves.toEqual([asStored(fresh)]);
      });

      it('does not count or report sessions already expired when the new one is created', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        await created({ userId, createdAt: t0, idleExpiresAt: t0 + MINUTE });
        const live = await created({ userId, createdAt: t0 + 1 });
        // This login happens after the first session's idle expiry.
        const later = sessionRecord({ userId, createdAt: t0 + 2 * MINUTE });

        await expect(repo.create(later, 2)).resolves.toEqual([]);

        const listed = await repo.list(userId, t0 + 3 * MINUTE);
        expect([...listed].sort(byId)).toEqual([live, later].map(asStored).sort(byId));
      });

      it('never evicts another user’s sessions', async () => {
        const t0 = Date.now();
        const other = await created({ userId: freshUserId('bob'), createdAt: t0 - 10 });
        const userId = freshUserId('alice');
        await created({ userId, createdAt: t0 });

        await expect(
          repo.create(sessionRecord({ userId, createdAt: t0 + 1 }), 1),
        ).resolves.toHaveLength(1);
        await expect(repo.isLive(other.sessionId, t0 + SECOND)).resolves.toBe(true);
      });
    });

    describe('under concurrency', () => {
      it('lets exactly one of 50 concurrent refreshes rotate, and with no grace revokes on the replay', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;
        const inputs = Array.from({ length: 50 }, () => rotateInput(record, { now, graceMs: 0 }));

        const results = await Promise.all(inputs.map((input) => repo.rotate(input)));

        // The first call rotates, the second presents the now-previous jti with no grace (reuse:
        // the session is deleted), and every later one finds no session.
        expect(statuses(results)).toEqual({ rotated: 1, grace: 0, reused: 1, missing: 48 });
        for (const result of results) {
          if (result.status === 'reused') expect(result.userId).toBe(record.userId);
        }
        await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
        await expect(repo.list(record.userId, now)).resolves.toEqual([]);
      });

      it('lets exactly one of 50 concurrent refreshes rotate and answers the rest within grace', async () => {
        const record = await created();
        const now = record.createdAt + SECOND;
        const inputs = Array.from({ length: 50 }, () => rotateInput(record, { now }));

        const results = await Promise.all(inputs.map((input) => repo.rotate(input)));

        expect(statuses(results)).toEqual({ rotated: 1, grace: 49, reused: 0, missing: 0 });
        const winner = results.find((r) => r.status === 'rotated');
        if (winner?.status !== 'rotated') throw new Error('no rotation');
        expect(inputs.map((i) => i.nextJti)).toContain(winner.record.currentJti);
        for (const result of results) {
          if (result.status === 'grace') expect(result.record).toEqual(winner.record);
        }
        await expect(repo.isLive(record.sessionId, now)).resolves.toBe(true);
        await expect(repo.get(record.sessionId, now)).resolves.toEqual(winner.record);
      });

      it('keeps a session revoked whatever order a concurrent rotate and revoke run in', async () => {
        const records: NewSessionRecord[] = [];
        for (let i = 0; i < 20; i += 1) records.push(await created());

        await Promise.all(
          records.map((record, i) => {
            const rotate = repo.rotate(rotateInput(record));
            const revoke = repo.revoke(record.sessionId);
            return i % 2 === 0 ? Promise.all([rotate, revoke]) : Promise.all([revoke, rotate]);
          }),
        );

        for (const record of records) {
          const now = record.createdAt + 2 * SECOND;
          await expect(repo.isLive(record.sessionId, now)).resolves.toBe(false);
          await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
        }
      });

      it('keeps a session revoked when revokeAll races with refreshes of every session', async () => {
        const userId = freshUserId();
        const records: NewSessionRecord[] = [];
        for (let i = 0; i < 10; i += 1) records.push(await created({ userId }));
        const now = records[0].createdAt + SECOND;

        const [ended] = await Promise.all([
          repo.revokeAll(userId),
          ...records.map((record) => repo.rotate(rotateInput(record, { now }))),
        ]);

        expect(ended).toHaveLength(10);
        await expect(repo.list(userId, now)).resolves.toEqual([]);
      });

      it('never brings back a session when markFresh and updateClaims race its revocation', async () => {
        const userId = freshUserId();
        const records: NewSessionRecord[] = [];
        for (let i = 0; i < 10; i += 1) records.push(await created({ userId }));
        const now = records[0].createdAt + SECOND;

        await Promise.all(
          records.flatMap((record, i) => {
            const writes = [
              repo.markFresh(record.sessionId, now, now),
              repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now),
              repo.updateClaims({ userId }, { claims: '{"tenant":"t"}' }, now),
            ];
            const end = i % 2 === 0 ? repo.revoke(record.sessionId) : repo.revokeAll(userId);
            return i % 3 === 0 ? [end, ...writes] : [...writes, end];
          }),
        );

        await expect(repo.list(userId, now)).resolves.toEqual([]);
        for (const record of records) {
          await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
          await expect(repo.readLive(record.sessionId, now)).resolves.toBeNull();
        }
      });

      it('holds the session limit under 20 concurrent logins', async () => {
        const userId = freshUserId();
        const t0 = Date.now();
        const records = Array.from({ length: 20 }, (_, i) =>
          sessionRecord({ userId, createdAt: t0 + i }),
        );

        const evicted = (await Promise.all(records.map((r) => repo.create(r, 3)))).flat();

        const listed = await repo.list(userId, t0 + SECOND);
        expect(listed).toHaveLength(3);
        expect(new Set(evicted).size).toBe(evicted.length);
        const accounted = [...evicted, ...listed.map((r) => r.sessionId)].sort();
        expect(accounted).toEqual(records.map((r) => r.sessionId).sort());
      });
    });
  });
}
