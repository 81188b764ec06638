import { Module } from '@nestjs/common';
import { SessionHealthModule } from 'nest-redis-sessions/health';
import { HealthController } from './health.controller.js';

/** The sample's health check, on `@nestjs/terminus` (its `TerminusModule` comes re-exported). */
@Module({
  imports: [SessionHealthModule],
  controllers: [HealthController],
})
export class HealthModule {}
