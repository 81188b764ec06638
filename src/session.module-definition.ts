import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SessionModuleExtras, SessionModuleOptions } from './config/session-options.js';

/** Defaults of the extras; each key listed here is kept out of the module options. */
export const DEFAULT_EXTRAS: SessionModuleExtras = { isGlobal: true, routes: {}, jwks: false };

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<SessionModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<SessionModuleExtras>(DEFAULT_EXTRAS, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
