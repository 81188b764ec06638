import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, SAMPLE_CONFIG } from './app.module.js';
import { httpAdapterFromEnv, type SampleConfig } from './config.js';
import { createOnAdapter } from './http-adapter.js';
import { serveOpenApiDocument } from './openapi/openapi.setup.js';

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
  const module = AppModule.register(env); // throws first when the environment is bad
  const adapter = httpAdapterFromEnv(env);
  // Credentials only for the configured origins: never a reflected foreign origin, never `null`.
  // The set is read from the app's config once the app exists, before it serves a request.
  let allowed = new Set<string>();
  const app = await createOnAdapter(
    adapter,
    module,
    {
      abortOnError: false,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    },
    {
      origin: (
        origin: string | undefined,
        callback: (error: Error | null, allow?: boolean) => void,
      ) => callback(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      // Both platforms' preflight answers list these (their defaults differ: Fastify's lacks DELETE).
      methods: 'GET,HEAD,POST,DELETE',
    },
  );
  allowed = new Set(app.get<SampleConfig>(SAMPLE_CONFIG).session.allowedOrigins ?? []);
  serveOpenApiDocument(app);
  app.enableShutdownHooks();
  await app.init();
  if (adapter === 'fastify') {
    // Fastify serves requests only once its plugins have loaded (`listen()` waits for them too).
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
  return app;
}
