import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serviceLogger } from '@cicenns/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The shift console's static files (built by `npm run build:console` into
 * dist/apps/console/public) at `/`. They hold no data: everything the page shows comes from the
 * API, behind its login. Missing files (API built without the console) leave `/` unserved.
 */
export function serveConsole(
  app: NestExpressApplication,
  dir = join(__dirname, '..', '..', '..', 'console', 'public'),
): void {
  if (!existsSync(join(dir, 'index.html'))) {
    serviceLogger('api').warn(`shift console not built (${dir}): run npm run build`);
    return;
  }
  app.useStaticAssets(dir, { index: 'index.html', maxAge: 0, etag: true });
}
