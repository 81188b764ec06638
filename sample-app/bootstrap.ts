import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { AppModule, SAMPLE_CONFIG } from './app.module.js';
import type { SampleConfig } from './config.js';

/** Options of `createSampleApp()` that are not in the environment. */
export interface SampleAppOptions {
  /** Nest's `logger` option. Default: Nest's console logger. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Creates and initialises the sample app from `env`, without listening: `main.ts` listens,
 * tests hand `app.getHttpServer()` to supertest. Rejects (never aborts the process) when the
 * configuration is bad.
 */
export async function createSampleApp(
  env: NodeJS.ProcessEnv = process.env,
  options: SampleAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(env), {
    abortOnError: false,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  app.disable('x-powered-by');
  // Credentials only for the configured origins: never a reflected foreign origin, never `null`.
  const allowed = new Set(app.get<SampleConfig>(SAMPLE_CONFIG).session.allowedOrigins ?? []);
  app.enableCors({
    origin: (
      origin: string | undefined,
      callback: (error: Error | null, allow?: boolean) => void,
    ) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
  });
  app.use(cookieParser());
  app.enableShutdownHooks();
  await app.init();
  return app;
}
