import { ConfigurableModuleBuilder } from '@nestjs/common';
import { createAuthController } from './auth.controller.js';
import type {
  SessionModuleExtras,
  SessionModuleOptions,
} from './interfaces/session-options.interface.js';
import { SESSION_EXTRAS } from './session.constants.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SessionModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<SessionModuleExtras>({ isGlobal: true, routes: {} }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers:
        extras.routes === false ? [] : [createAuthController(extras.routes?.prefix ?? 'auth')],
      providers: [...(definition.providers ?? []), { provide: SESSION_EXTRAS, useValue: extras }],
    }))
    .build();
