import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  MINUTE,
  asStored,
  freshUserId,
  newSessionId,
  type ContractContext,
} from './contract-context.js';

/** The contract: authenticatedAt, markFresh, updateClaims and readLive. */
export function describeLiveView(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, rotated, isLive } = ctx;

  describe('authenticatedAt, markFresh, updateClaims and readLive', () => {
    it('reads the live view of a session: role, claims, authenticatedAt, expiry', async () => {
      const record = await created({ authenticatedAt: Date.now() - MINUTE });
      const now = record.createdAt + SECOND;

      await expect(repo.readLive(record.sessionId, now)).resolves.toEqual({
        role: record.role,
        claims: record.claims,
        authenticatedAt: record.authenticatedAt,
        expiresAt: Math.min(record.idleExpiresAt, record.absoluteExpiresAt),
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
      await expect(isLive(record.sessionId, late)).resolves.toBe(false);
    });

    it('updates the role and claims of one session only', async () => {
      const userId = freshUserId();
      const target = await created({ userId });
      const sibling = await created({ userId });
      const now = target.createdAt + SECOND;

      await expect(
        repo.updateClaims(
          { sessionId: target.sessionId },
          { role: 'admin', claims: { tenant: 't-2' } },
          now,
        ),
      ).resolves.toBe(1);

      await expect(repo.get(target.sessionId, now)).resolves.toEqual({
        ...asStored(target),
        role: 'admin',
        claims: { tenant: 't-2' },
      });
      await expect(repo.readLive(target.sessionId, now)).resolves.toEqual({
        role: 'admin',
        claims: { tenant: 't-2' },
        authenticatedAt: target.authenticatedAt,
        expiresAt: target.idleExpiresAt,
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

      await expect(repo.updateClaims({ userId }, { role: null }, now)).resolves.toBe(2);

      for (const record of mine) {
        const stored = await repo.get(record.sessionId, now);
        expect(stored).toEqual({ ...asStored(record), role: undefined });
        expect(stored).not.toHaveProperty('role');
        expect(await repo.readLive(record.sessionId, now)).not.toHaveProperty('role');
      }
      await expect(repo.get(theirs.sessionId, now)).resolves.toEqual(asStored(theirs));
      await expect(isLive(expired.sessionId, now)).resolves.toBe(false);
    });

    it('leaves a field that is not given unchanged', async () => {
      const record = await created({ role: 'editor' });
      const now = record.createdAt + SECOND;

      await repo.updateClaims({ sessionId: record.sessionId }, { claims: {} }, now);

      await expect(repo.get(record.sessionId, now)).resolves.toEqual({
        ...asStored(record),
        claims: {},
      });
      await repo.updateClaims({ sessionId: record.sessionId }, { role: 'viewer' }, now);
      await expect(repo.get(record.sessionId, now)).resolves.toEqual({
        ...asStored(record),
        role: 'viewer',
        claims: {},
      });
      await repo.updateClaims({ sessionId: record.sessionId }, {}, now);
      await expect(repo.get(record.sessionId, now)).resolves.toEqual({
        ...asStored(record),
        role: 'viewer',
        claims: {},
      });
    });

    it('hands out copies of the claims it stores: changing the given object changes nothing', async () => {
      const record = await created();
      const now = record.createdAt + SECOND;
      const claims = { tenant: 't-3' };

      await repo.updateClaims({ sessionId: record.sessionId }, { claims }, now);
      claims.tenant = 'tampered';

      await expect(repo.readLive(record.sessionId, now)).resolves.toMatchObject({
        claims: { tenant: 't-3' },
      });
      await expect(repo.get(record.sessionId, now)).resolves.toMatchObject({
        claims: { tenant: 't-3' },
      });
    });

    it('never creates, extends or brings back a session when updating claims', async () => {
      const record = await created();
      const revoked = await created({ userId: record.userId });
      await repo.revoke(revoked.sessionId);
      const unknown = newSessionId(record.userId);
      const now = record.createdAt + SECOND;

      await expect(repo.updateClaims({ sessionId: unknown }, { role: 'admin' }, now)).resolves.toBe(
        0,
      );
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
      await expect(repo.updateClaims({ userId: record.userId }, { role: 'x' }, late)).resolves.toBe(
        0,
      );
      await expect(isLive(record.sessionId, late)).resolves.toBe(false);
    });

    it('keeps updated claims through a rotation, and a rotation keeps them', async () => {
      const record = await created();
      const now = record.createdAt + SECOND;
      await repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now);

      const next = await rotated(rotateInput(record, { now: now + SECOND }));

      expect(next.role).toBe('admin');
      expect(next.claims).toEqual(record.claims);
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
}
