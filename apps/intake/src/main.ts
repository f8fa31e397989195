import { loadSystemConfig } from '@cicenns/model';
import { runMain, runTask, serviceLogger } from '@cicenns/common';
import { retireIntake, startIntake } from './start-intake';

if (process.argv.includes('--retire')) {
  // one instance of several out for good (docs/DEPLOY-SCALE.md "Scaling down")
  runTask('intake', async () => {
    const cfg = loadSystemConfig();
    const taken = await retireIntake(cfg);
    const { instance } = cfg.app.scaleOut;
    serviceLogger('intake').log(
      `${instance ? `instance ${instance}` : 'the single instance'} retired: took the ${taken} DAQ messages its session held; ` +
        `its session is ended, the other instances take its share (dead letters kept in ${cfg.app.intake.deadLetterPath})`,
    );
    return 0;
  });
} else {
  runMain('intake', async () => {
    const cfg = loadSystemConfig();
    const intake = await startIntake(cfg);
    // "intake: subscribed to the DAQ topics" follows once the broker acknowledged them
    const wait = cfg.app.intake.requireHistorian ? ", once the historian's session exists" : '';
    serviceLogger('intake').log(`started on ${cfg.app.mqtt.url}; DAQ topics subscribed next${wait}`);
    return () => intake.stop();
  });
}
