import 'reflect-metadata';
import { loadSystemConfig } from '@cicenns/model';
import { runMain, serviceLogger } from '@cicenns/common';
import { alarmRulesFile, startAlarms } from './alarms.module';

runMain('alarms', async () => {
  const cfg = loadSystemConfig();
  const alarmService = await startAlarms(cfg);
  const { alarms } = cfg.app;
  serviceLogger('alarms').log(
    `${alarmService.alarmCount} alarms from ${alarmRulesFile(cfg)}, store ${alarms.storePath}, ` +
      `alertmanager ${alarms.alertmanagerUrl || 'none'}, bus ${cfg.app.mqtt.url}`,
  );
  return () => alarmService.stop();
});
