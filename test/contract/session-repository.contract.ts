import type { SessionRepository } from '../../src/store/session.repository.js';
import { describeLiveView } from './claims.contract.js';
import { describeConcurrency } from './concurrency.contract.js';
import { contractContext, type RepositoryUnderTest } from './contract-context.js';
import { describeCreate } from './create.contract.js';
import { describeExpiry } from './expiry.contract.js';
import { describeRevoke } from './revoke.contract.js';
import { describeRotate } from './rotate.contract.js';

export { freshUserId, sessionRecord, type RepositoryUnderTest } from './contract-context.js';

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

    beforeEach(async () => {
      subject = await factory();
    });

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    const ctx = contractContext((): SessionRepository => {
      if (!subject) throw new Error('no repository: the contract runs inside its tests only');
      return subject.repo;
    });
    describeCreate(ctx);
    describeExpiry(ctx);
    describeLiveView(ctx);
    describeRotate(ctx);
    describeRevoke(ctx);
    describeConcurrency(ctx);
  });
}
