import { MemorySessionRepository } from '../../src/repositories/memory-session.repository.js';
import { describeSessionRepository } from './session-repository.contract.js';

describeSessionRepository('MemorySessionRepository', async () => ({
  repo: new MemorySessionRepository(),
  cleanup: async () => {},
}));
