import 'reflect-metadata';
import { loadSystemConfig } from '@cicenns/model';
import { runMain, serviceLogger } from '@cicenns/common';
import { startApi } from './api.module';

runMain('api', async () => {
  const cfg = loadSystemConfig();
  const { app, url } = await startApi(cfg);
  serviceLogger('api').log(`listening on ${url} (OpenAPI: /api/docs, /api/openapi.json)`);
  return () => app.close();
});
