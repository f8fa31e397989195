import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { SESSION_COOKIE } from '../auth/request-auth';

/** GET /api/openapi.json and Swagger UI at /api/docs (both public: they hold no data). */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('CICENNS slow control API')
    .setDescription(
      'Everything the console does is a call here, for scripts too. Log in with POST /api/auth/login and ' +
        'send `Authorization: Bearer <token>` (or the cicenns_session cookie). Roles: viewer (read), ' +
        'shifter (acknowledge, shelve), expert (HV control, disable alarms, audit log), admin (users).',
    )
    .setVersion('1')
    .addBearerAuth()
    .addCookieAuth(SESSION_COOKIE)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: '',
  });
}
