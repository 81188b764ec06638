import type { ExpiredSession } from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  MINUTE,
  HOUR,
  DAY,
  asStored,
  freshUserId,
  sessionRecord,
  type ContractContext,
} from './contract-context.js';

/** The contract: expiry, and its reports to onExpired listeners. */
export function describeExpiry(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, isLive } = ctx;

  describe('expiry', () => {
    it('ends a session at its idle expiry', async () => {
      const record = await created();
      const expiresAt = record.idleExpiresAt; // before the absolute expiry

      await expect(isLive(record.sessionId, expiresAt - 1)).resolves.toBe(true);
      await expect(repo.get(record.sessionId, expiresAt - 1)).resolves.not.toBeNull();
      await expect(isLive(record.sessionId, expiresAt)).resolves.toBe(false);
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

      await expect(isLive(record.sessionId, expiresAt - 1)).resolves.toBe(true);
      await expect(isLive(record.sessionId, expiresAt)).resolves.toBe(false);
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
      await expect(isLive(longLived.sessionId, now)).resolves.toBe(true);
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
}
