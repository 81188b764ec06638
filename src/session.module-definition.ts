import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { createAuthController } from './auth.controller.js';
import { createJwksController } from './jwks.controller.js';
import type {
  SessionModuleExtras,
  SessionModuleOptions,
} from './interfaces/session-options.interface.js';
import { SESSION_EXTRAS } from './session.constants.js';

/** Defaults of the extras; each key listed here is kept out of the module options. */
const DEFAULT_EXTRAS: SessionModuleExtras = { isGlobal: true, routes: {}, jwks: false };

/** The controllers the extras ask for: `AuthController` under its prefix, the JWKS route. */
function controllers(extras: SessionModuleExtras): Type[] {
  return [
    ...(extras.routes === false ? [] : [createAuthController(extras.routes?.prefix ?? 'auth')]),
    ...(extras.jwks ? [createJwksController(extras.jwks)] : []),
  ];
}

function pickExtras({ isGlobal, routes, jwks }: SessionModuleExtras): SessionModuleExtras {
  return { isGlobal, routes, jwks };
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SessionModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<SessionModuleExtras>(DEFAULT_EXTRAS, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: controllers(extras),
      // Only the extras: for forRoot() Nest passes the whole options object here, secrets included.
      providers: [
        ...(definition.providers ?? []),
        { provide: SESSION_EXTRAS, useValue: pickExtras(extras) },
      ],
    }))
    .build();
