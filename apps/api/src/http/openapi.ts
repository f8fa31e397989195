import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SESSION_COOKIE } from '../auth/request-auth';
import type { RouteInfo } from './route-table';

/**
 * Each operation's security and role from the metadata AuthGuard enforces (not from swagger
 * decorators, which said a login was needed for the public /api/health).
 */
export function markSecurity(document: OpenAPIObject, routes: RouteInfo[]): void {
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op = (document.paths[path] as Record<string, { security?: unknown; description?: string }>)?.[
      r.method.toLowerCase()
    ];
    if (!op) continue;
    if (r.need === 'public') {
      op.security = [];
      op.description = ['Public: no login needed.', op.description].filter(Boolean).join(' ');
    } else {
      op.security = [{ bearer: [] }, { cookie: [] }];
      op.description = [`Needs the ${r.need} role (401 without a login, 403 below it).`, op.description]
        .filter(Boolean)
        .join(' ');
    }
  }
}

/** GET /api/openapi.json and Swagger UI at /api/docs (both public: they hold no data). */
export function setupOpenApi(app: INestApplication, routes: RouteInfo[]): void {
  const config = new DocumentBuilder()
    .setTitle('CICENNS slow control API')
    .setDescription(
      'Everything the console does is a call here, for scripts too. Log in with POST /api/auth/login and ' +
        'send `Authorization: Bearer <token>` (or the cicenns_session cookie). Roles: viewer (read), ' +
        'shifter (acknowledge, shelve), expert (HV control, disable alarms, commissioning runs and approvals, audit log), admin (users). ' +
        'State-changing calls (POST) need `Content-Type: application/json` (415 otherwise); with the cookie ' +
        "and no Bearer token, an Origin other than the API's own or api.allowedOrigins is refused (403). " +
        'Errors are JSON {statusCode, error, message}.',
    )
    .setVersion('1')
    .addBearerAuth()
    .addCookieAuth(SESSION_COOKIE)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  markSecurity(document, routes);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: '',
  });
}
