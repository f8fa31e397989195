import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadSystemConfig } from '@cicenns/model';
import { runMain } from '@cicenns/common';
import { startApi } from './api.module';

runMain('api', async () => {
  const cfg = loadSystemConfig();
  const { app, url } = await startApi(cfg);
  new Logger('api').log(`api: listening on ${url} (OpenAPI: /api/docs, /api/openapi.json)`);
  return () => app.close();
});
