import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  HOUR,
  asStored,
  byId,
  freshUserId,
  sessionRecord,
  newSessionId,
  type ContractContext,
} from './contract-context.js';

/** The contract: revoke and revokeAll. */
export function describeRevoke(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, isLive } = ctx;

  describe('revoke and revokeAll', () => {
    it('revokes a session for good: gone, not rotatable, not counted twice', async () => {
      const record = await created();
      const sibling = await created({ userId: record.userId });
      const now = record.createdAt + SECOND;

      await expect(repo.revoke(record.sessionId)).resolves.toBe(true);

      await expect(isLive(record.sessionId, now)).resolves.toBe(false);
      await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
      await expect(repo.rotate(rotateInput(record, { now }))).resolves.toEqual({
        status: 'missing',
      });
      await expect(isLive(record.sessionId, now)).resolves.toBe(false);
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
        await expect(isLive(record.sessionId, now)).resolves.toBe(false);
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
        await expect(isLive(record.sessionId, now)).resolves.toBe(false);
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
      await expect(isLive(foreign.sessionId, now)).resolves.toBe(true);
    });

    it('neither finds nor counts a session whose expiry had passed when it was created', async () => {
      const userId = freshUserId();
      const createdAt = Date.now() - 2 * HOUR;
      const dead = await created({ userId, createdAt, idleExpiresAt: createdAt + HOUR });
      const other = sessionRecord({ userId, createdAt, idleExpiresAt: createdAt + HOUR });
      await repo.create(other, 0);

      await expect(isLive(dead.sessionId, Date.now())).resolves.toBe(false);
      await expect(repo.revoke(dead.sessionId)).resolves.toBe(false);
      await expect(repo.revokeAll(userId)).resolves.toEqual([]);
    });

    it('answers 0 when a user without sessions is revoked', async () => {
      await expect(repo.revokeAll(freshUserId('nobody'))).resolves.toEqual([]);
    });
  });
}
