import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadSystemConfig } from '@cicenns/model';
import { runMain } from '@cicenns/common';
import { startIntake } from './intake.module';

runMain('intake', async () => {
  const cfg = loadSystemConfig();
  const app = await startIntake(cfg);
  new Logger('intake').log(`intake: subscribed to the DAQ topics on ${cfg.app.mqtt.url}`);
  return () => app.close();
});
