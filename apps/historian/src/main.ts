import 'reflect-metadata';
import { ConfigError, loadSystemConfig } from '@cicenns/model';
import { runMain, runTask, serviceLogger } from '@cicenns/common';
import { retireHistorian, startHistorian } from './historian.service';

if (process.argv.includes('--retire')) {
  // one instance of several out for good (docs/DEPLOY-SCALE.md "Scaling down")
  runTask('historian', async () => {
    const cfg = loadSystemConfig();
    const { taken, left } = await retireHistorian(cfg);
    const log = serviceLogger('historian');
    const instance = cfg.app.scaleOut.instance || '(the single one)';
    if (left > 0) {
      log.error(
        `instance ${instance} not retired: ${left} readings still in ${cfg.app.influx.spoolPath} (InfluxDB did not take them); ` +
          `its session takes nothing new; run --retire again once InfluxDB is back`,
      );
      return 1;
    }
    log.log(
      `instance ${instance} retired: took the ${taken} readings its session held and wrote its spool; its session is ended`,
    );
    return 0;
  });
} else
  runMain('historian', async () => {
    const cfg = loadSystemConfig();
    if (!cfg.app.influx.url) {
      throw new ConfigError(
        cfg.file,
        'influx.url',
        'the historian needs an InfluxDB URL (or set INFLUX_URL)',
      );
    }
    const historian = await startHistorian(cfg);
    serviceLogger('historian').log(
      `${cfg.app.mqtt.url} -> ${cfg.app.influx.url} db=${cfg.app.influx.database}, spool ${cfg.app.influx.spoolPath}`,
    );
    return () => historian.stop();
  });
