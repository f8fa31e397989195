import 'reflect-metadata';
import { ConfigError, loadSystemConfig } from '@cicenns/model';
import { runMain, serviceLogger } from '@cicenns/common';
import { startHistorian } from './historian.service';

runMain('historian', async () => {
  const cfg = loadSystemConfig();
  if (!cfg.app.influx.url) {
    throw new ConfigError(cfg.file, 'influx.url', 'the historian needs an InfluxDB URL (or set INFLUX_URL)');
  }
  const historian = await startHistorian(cfg);
  serviceLogger('historian').log(
    `${cfg.app.mqtt.url} -> ${cfg.app.influx.url} db=${cfg.app.influx.database}, spool ${cfg.app.influx.spoolPath}`,
  );
  return () => historian.stop();
});
