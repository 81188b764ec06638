import type { SessionRecord } from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  MINUTE,
  HOUR,
  DAY,
  GRACE,
  asStored,
  randomId,
  type ContractContext,
} from './contract-context.js';

/** The contract: rotation of the refresh jti, grace and reuse. */
export function describeRotate(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, rotated, isLive } = ctx;

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

      await expect(isLive(record.sessionId, now)).resolves.toBe(false);
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
      await expect(isLive(record.sessionId, first.previousRetiredAt)).resolves.toBe(false);
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

      await expect(isLive(record.sessionId, now)).resolves.toBe(false);
      await expect(repo.list(record.userId, now)).resolves.toEqual([asStored(sibling)]);
      await expect(repo.rotate(rotateInput(sibling, { now })).then((r) => r.status)).resolves.toBe(
        'rotated',
      );
    });

    it('deletes the session when an empty jti is presented to a never-rotated session', async () => {
      const record = await created();

      await expect(repo.rotate(rotateInput(record, { presentedJti: '' }))).resolves.toEqual({
        status: 'reused',
        userId: record.userId,
      });
      await expect(isLive(record.sessionId, record.createdAt)).resolves.toBe(false);
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

      await expect(isLive(record.sessionId, record.idleExpiresAt + 1)).resolves.toBe(true);
      await expect(isLive(record.sessionId, now + HOUR - 1)).resolves.toBe(true);
      await expect(isLive(record.sessionId, now + HOUR)).resolves.toBe(false);
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
      await expect(isLive(record.sessionId, record.absoluteExpiresAt - 1)).resolves.toBe(true);
      await expect(isLive(record.sessionId, record.absoluteExpiresAt)).resolves.toBe(false);
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
      await expect(isLive(record.sessionId, late)).resolves.toBe(false);
      await expect(repo.list(record.userId, late)).resolves.toEqual([]);
    });
  });
}
