import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { describeSessionRepository } from './session-repository.contract.js';

describeSessionRepository('MemorySessionRepository', async () => ({
  repo: new MemorySessionRepository(),
  cleanup: async () => {},
}));

describe('MemorySessionRepository', () => {
  it('has no change feed (so no revocation cache)', () => {
    expect(new MemorySessionRepository().changeFeed()).toBeNull();
  });
});
