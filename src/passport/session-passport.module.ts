import { Global, Module } from '@nestjs/common';
import { PassportAccessGuard } from './passport-access.guard.js';
import { SessionPassportStrategy } from './session.strategy.js';

/**
 * Registers `SessionPassportStrategy` with passport and provides `PassportAccessGuard`, globally
 * (as `SessionModule`). Import it once, next to `SessionModule`, in an app that uses passport.
 */
@Global()
@Module({
  providers: [SessionPassportStrategy, PassportAccessGuard],
  exports: [SessionPassportStrategy, PassportAccessGuard],
})
export class SessionPassportModule {}
