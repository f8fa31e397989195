import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadSystemConfig } from '@cicenns/model';
import { runMain } from '@cicenns/common';
import { startIntake } from './intake.module';

runMain('intake', async () => {
  const cfg = loadSystemConfig();
  const intake = await startIntake(cfg);
  // "intake: subscribed to the DAQ topics" follows once the broker acknowledged them
  const wait = cfg.app.intake.requireHistorian ? ", once the historian's session exists" : '';
  new Logger('intake').log(`intake: started on ${cfg.app.mqtt.url}; DAQ topics subscribed next${wait}`);
  return () => intake.stop();
});
