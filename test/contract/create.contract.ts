import type { NewSessionRecord } from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  MINUTE,
  asStored,
  byId,
  freshUserId,
  sessionRecord,
  newSessionId,
  randomId,
  type ContractContext,
} from './contract-context.js';

/** The contract: create, get, readLive and list; the max-sessions limit. */
export function describeCreate(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, isLive } = ctx;

  describe('create, get, readLive and list', () => {
    it('returns every field of a created session unchanged', async () => {
      const record = await created();
      const now = record.createdAt + SECOND;

      await expect(repo.get(record.sessionId, now)).resolves.toEqual(asStored(record));
      await expect(isLive(record.sessionId, now)).resolves.toBe(true);
      await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(record)]);
      await expect(repo.readLive(record.sessionId, now)).resolves.toEqual({
        role: record.role,
        claims: record.claims,
        authenticatedAt: record.authenticatedAt,
        expiresAt: record.idleExpiresAt,
      });
    });

    it('keeps no role, no claims, an empty user agent and an empty ip as such', async () => {
      const record = await created({ role: undefined, claims: {}, userAgent: '', ip: '' });

      const stored = await repo.get(record.sessionId, record.createdAt);
      expect(stored).toEqual(asStored(record));
      expect(stored).not.toHaveProperty('role');
      expect(stored?.claims).toEqual({});
      expect(stored?.userAgent).toBe('');
      expect(stored?.ip).toBe('');
      const live = await repo.readLive(record.sessionId, record.createdAt);
      expect(live).not.toHaveProperty('role');
      expect(live?.claims).toEqual({});
    });

    it('reads an empty role as no role', async () => {
      const record = await created({ role: '' });

      const stored = await repo.get(record.sessionId, record.createdAt);
      expect(stored).toEqual({ ...asStored(record), role: undefined });
      expect(stored).not.toHaveProperty('role');
      await expect(repo.list(record.userId, record.createdAt)).resolves.toEqual([stored]);
      expect(await repo.readLive(record.sessionId, record.createdAt)).not.toHaveProperty('role');
    });

    it('keeps long and unusual field values intact', async () => {
      const record = await created({
        role: 'admin:{ops}',
        claims: {
          name: 'Zoë {x}:y "quoted" \\ back',
          emoji: '🔐',
          pi: 3.14159,
          negative: -42,
          off: false,
          empty: '',
          '{key}:with space': 'ünïcødé',
        },
        userAgent: `Mozilla/5.0 ${'x'.repeat(500)} ünïcødé`,
        ip: '2001:db8::8a2e:370:7334',
      });

      await expect(repo.get(record.sessionId, record.createdAt)).resolves.toEqual(asStored(record));
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
      await expect(isLive(unknown, now)).resolves.toBe(false);
      await expect(repo.revoke(unknown)).resolves.toBe(false);
      await expect(
        repo.rotate({ ...rotateInput(sessionRecord()), sessionId: unknown }),
      ).resolves.toEqual({ status: 'missing' });
    });

    it('treats a malformed session id as absent instead of failing', async () => {
      const now = Date.now();
      for (const bad of ['', 'not-a-session-id', 'a.b', '{x}:index', '*', '..']) {
        await expect(repo.get(bad, now)).resolves.toBeNull();
        await expect(isLive(bad, now)).resolves.toBe(false);
        await expect(repo.revoke(bad)).resolves.toBe(false);
        await expect(
          repo.rotate({ ...rotateInput(sessionRecord()), sessionId: bad }),
        ).resolves.toEqual({ status: 'missing' });
      }
    });

    it('hands out copies or frozen views: changing a returned record does not change the store', async () => {
      const record = await created();
      const stored = structuredClone(asStored(record));
      const now = record.createdAt + SECOND;
      record.claims.tenant = 'tampered before'; // the caller's own object, after create

      const fetched = await repo.get(record.sessionId, now);
      if (!fetched) throw new Error('session not found');
      fetched.currentJti = 'tampered';
      fetched.idleExpiresAt = 0;
      fetched.claims.tenant = 'tampered';
      const [listed] = await repo.list(record.userId, now);
      listed.role = 'admin';
      listed.claims.level = 99;
      const live = await repo.readLive(record.sessionId, now);
      if (!live) throw new Error('session not live');
      // A live view may be shared (the revocation cache's is): then it is frozen, and changing
      // it throws; either way the store is unchanged.
      const shared = Object.isFrozen(live);
      expect(Object.isFrozen(live.claims)).toBe(shared);
      const change = () => {
        live.claims.beta = false;
        live.role = 'admin';
      };
      if (shared) expect(change).toThrow(TypeError);
      else change();

      await expect(repo.get(record.sessionId, now)).resolves.toEqual(stored);
      await expect(repo.readLive(record.sessionId, now)).resolves.toMatchObject({
        role: stored.role,
        claims: stored.claims,
      });

      const result = await repo.rotate(rotateInput(record, { now }));
      if (result.status !== 'rotated') throw new Error(`expected rotated, got ${result.status}`);
      const expected = structuredClone(result.record);
      result.record.currentJti = 'tampered';
      result.record.claims.tenant = 'tampered';
      const grace = await repo.rotate(rotateInput(record, { now }));
      if (grace.status !== 'grace') throw new Error(`expected grace, got ${grace.status}`);
      grace.record.currentJti = 'tampered';
      grace.record.claims.tenant = 'tampered';

      await expect(repo.get(record.sessionId, now)).resolves.toEqual(expected);
    });

    it('answers ping', async () => {
      await expect(repo.ping()).resolves.toBeUndefined();
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
      await expect(isLive(first.sessionId, now)).resolves.toBe(false);
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
        await expect(repo.list(userId, t0 + SECOND)).resolves.toHaveLength(Math.min(i + 1, limit));
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
      await expect(isLive(other.sessionId, t0 + SECOND)).resolves.toBe(true);
    });
  });
}
