import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadSystemConfig } from '@cicenns/model';
import { Historian } from './historian.service';

describe('historian configuration', () => {
  it('refuses to compute the aggregate tier as one of several historians, naming the setting', () => {
    const cfg = loadSystemConfig(undefined, {});
    cfg.app.influx.spoolPath = join(mkdtempSync(join(tmpdir(), 'hist-cfg-')), 'spool.db');
    cfg.app.influx.tiers.aggregate.computedBy = 'historian';
    cfg.app.scaleOut.instance = '2';
    let error: unknown;
    try {
      new Historian(cfg);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(
      /influx\.tiers\.aggregate\.computedBy.*needs the single historian, not instance 2 of several/,
    );
  });
});
