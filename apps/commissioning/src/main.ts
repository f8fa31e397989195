import { runMain } from '@cicenns/common';
import { loadSystemConfig } from '@cicenns/model';
import { startCommissioning } from './commissioning';

runMain('commissioning', async () => {
  const service = await startCommissioning(loadSystemConfig());
  // stop(): the PMTs stop where they are; the runs stay active in the store for the next start
  return () => service.stop();
});
