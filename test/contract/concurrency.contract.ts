import type { NewSessionRecord } from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';
import {
  SECOND,
  statuses,
  freshUserId,
  sessionRecord,
  type ContractContext,
} from './contract-context.js';

/** The contract: atomicity under concurrent calls. */
export function describeConcurrency(ctx: ContractContext): void {
  let repo: SessionRepository;
  beforeEach(() => {
    repo = ctx.repo;
  });
  const { created, rotateInput, isLive } = ctx;

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
      await expect(isLive(record.sessionId, now)).resolves.toBe(true);
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
        await expect(isLive(record.sessionId, now)).resolves.toBe(false);
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
            repo.updateClaims({ userId }, { claims: { tenant: 't' } }, now),
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
}
