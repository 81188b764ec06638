import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SAMPLE_CONFIG } from './app.module.js';
import { createSampleApp } from './bootstrap.js';
import type { SampleConfig } from './config.js';

const logger = new Logger('SampleApp');

try {
  const app = await createSampleApp(process.env);
  const { port: configured, httpAdapter } = app.get<SampleConfig>(SAMPLE_CONFIG);
  if (httpAdapter === 'fastify') {
    // Express (Node) listens on every interface, `::` or `0.0.0.0` without IPv6; Fastify listens
    // on localhost only unless given a host.
    await app.listen(configured, '::').catch(() => app.listen(configured, '0.0.0.0'));
  } else {
    await app.listen(configured);
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`Listening on http://localhost:${port}`);
} catch (error) {
  // Configuration errors name the variable to fix; anything else keeps its stack.
  const isConfigError =
    error instanceof Error && ['SampleConfigError', 'SessionConfigError'].includes(error.name);
  logger.error(
    isConfigError
      ? `${error.name}: ${error.message}`
      : error instanceof Error
        ? error.stack
        : error,
  );
  process.exit(1);
}
