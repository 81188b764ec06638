import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { documentSessionRoutes } from 'nest-redis-sessions/openapi';

/** Where the sample serves its OpenAPI document. */
export const OPENAPI_PATH = 'openapi.json';

/**
 * Serves the app's OpenAPI document (JSON, no UI) at `GET /openapi.json`, built on the first
 * request. Call it before `app.init()`, as `SwaggerModule.setup()` wants.
 */
export function serveOpenApiDocument(app: INestApplication): void {
  const document = () => {
    const builder = new DocumentBuilder()
      .setTitle('nest-redis-sessions sample app')
      .setDescription('Log in, use the access token, refresh it, list and end sessions.')
      .setVersion('1');
    return SwaggerModule.createDocument(app, documentSessionRoutes(app, builder).build());
  };
  SwaggerModule.setup('docs', app, document, {
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_PATH,
  });
}
