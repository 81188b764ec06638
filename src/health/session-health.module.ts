import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionHealthIndicator } from './session.health.js';

/**
 * `TerminusModule` and `SessionHealthIndicator` in one import, for a health controller of the
 * app's own. Needs `SessionModule` registered globally (the default) for the store it pings.
 */
@Module({
  imports: [TerminusModule],
  providers: [SessionHealthIndicator],
  exports: [SessionHealthIndicator, TerminusModule],
})
export class SessionHealthModule {}
