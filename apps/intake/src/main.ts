import { loadSystemConfig } from '@cicenns/model';
import { runMain, serviceLogger } from '@cicenns/common';
import { startIntake } from './start-intake';

runMain('intake', async () => {
  const cfg = loadSystemConfig();
  const intake = await startIntake(cfg);
  // "intake: subscribed to the DAQ topics" follows once the broker acknowledged them
  const wait = cfg.app.intake.requireHistorian ? ", once the historian's session exists" : '';
  serviceLogger('intake').log(`started on ${cfg.app.mqtt.url}; DAQ topics subscribed next${wait}`);
  return () => intake.stop();
});
