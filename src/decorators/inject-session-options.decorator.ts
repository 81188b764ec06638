import { Inject } from '@nestjs/common';
import { SESSION_GUARD_OPTIONS } from '../config/config.tokens.js';

/**
 * Injects the guards' slice of the module options (`SessionGuardOptions`): what a subclass of
 * `AccessGuard` or `RefreshGuard` needs to read a request as the module does.
 * @example
 * ```ts
 * constructor(@InjectSessionOptions() options: SessionGuardOptions, reflector: Reflector) {
 *   super(options, reflector);
 * }
 * ```
 */
export const InjectSessionOptions = (): ParameterDecorator & PropertyDecorator =>
  Inject(SESSION_GUARD_OPTIONS);
