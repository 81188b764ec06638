import { Controller, Get, UseGuards } from '@nestjs/common';
import { AccessGuard, Roles, RolesGuard } from 'nest-redis-sessions';

/** The two routes at either end of the scale: no guard at all, and a role check. */
@Controller()
export class AppController {
  /** No guard: the baseline of the benchmarks. */
  @Get('public')
  public(): { ok: true } {
    return { ok: true };
  }

  /** Only for sessions whose role is `admin` (403 for other roles, 401 without a session). */
  @Get('admin')
  @UseGuards(AccessGuard, RolesGuard)
  @Roles('admin')
  admin(): { ok: true } {
    return { ok: true };
  }
}
