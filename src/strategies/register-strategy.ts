import passport from 'passport';
import type { Strategy } from 'passport';

let sequence = 0;

/**
 * A passport registry that names each strategy instance uniquely. Passport keeps strategies in
 * one process-wide registry by name; fixed names would let a second app in the same process
 * (tests, workers) replace the first app's strategies with its own keys.
 */
export function uniqueStrategyRegistry(kind: string): { use(strategy: Strategy): void } {
  return {
    use(strategy: Strategy) {
      sequence += 1;
      (strategy as { name?: string }).name = `nest-session-${kind}-${sequence}`;
      passport.use(strategy);
    },
  };
}
