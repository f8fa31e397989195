import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir, instancePath, loadSystemConfig } from './index';
import { configError } from '../../../test/support/config-error';

/** A copy of the embedded configuration with `edit` applied to the text of cicenns.yaml. */
function configWith(edit: (yaml: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-scale-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  const file = join(dir, 'cicenns.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return file;
}

describe('scaleOut: several intakes and historians', () => {
  it('by default a service is the single instance, its files as configured', () => {
    const cfg = loadSystemConfig(undefined, {});
    expect(cfg.app.scaleOut).toEqual({
      instance: '',
      shareGroup: '',
      sessionExpirySeconds: 604800,
      alarmPartitions: {},
    });
    expect(cfg.app.influx.spoolPath).toMatch(/\/var\/historian-spool\.db$/);
    expect(cfg.app.intake.deadLetterPath).toMatch(/\/var\/intake-dead-letters\.db$/);
  });

  it('an instance (file or CICENNS_INSTANCE, which wins) has its own spool and dead-letter files', () => {
    const file = configWith((y) => y.replace("instance: ''", 'instance: a1'));
    const fromFile = loadSystemConfig(file, {});
    expect(fromFile.app.scaleOut.instance).toBe('a1');
    expect(fromFile.app.influx.spoolPath).toMatch(/\/var\/historian-spool-a1\.db$/);
    expect(fromFile.app.intake.deadLetterPath).toMatch(/\/var\/intake-dead-letters-a1\.db$/);
    const fromEnv = loadSystemConfig(file, { CICENNS_INSTANCE: '2' });
    expect(fromEnv.app.scaleOut.instance).toBe('2');
    expect(fromEnv.app.influx.spoolPath).toMatch(/\/var\/historian-spool-2\.db$/);
    // an empty variable makes it the single instance again
    expect(loadSystemConfig(file, { CICENNS_INSTANCE: '' }).app.influx.spoolPath).toMatch(/spool\.db$/);
  });

  it.each([
    ['a path', '../x'],
    ['a topic wildcard', 'a+b'],
    ['a dot', 'a.b'],
    ['too long', 'x'.repeat(17)],
  ])('refuses an instance id with %s, naming the variable or the setting', (_what, id) => {
    const env = configError(() => loadSystemConfig(undefined, { CICENNS_INSTANCE: id }));
    expect(env.file).toBe('environment');
    expect(env.path).toBe('CICENNS_INSTANCE');
    expect(env.reason).toMatch(/letters, digits/);
    const file = configWith((y) => y.replace("instance: ''", `instance: '${id}'`));
    const inFile = configError(() => loadSystemConfig(file, {}));
    expect(inFile.file).toBe(file);
    expect(inFile.path).toBe('scaleOut.instance');
  });

  it('refuses a share group that is not one topic level, and a session expiry MQTT 5 cannot say', () => {
    const group = configWith((y) => y.replace("shareGroup: ''", "shareGroup: 'a/b'"));
    expect(configError(() => loadSystemConfig(group, {})).path).toBe('scaleOut.shareGroup');
    const expiry = configWith((y) =>
      y.replace('sessionExpirySeconds: 604800', 'sessionExpirySeconds: 4294967296'),
    );
    expect(configError(() => loadSystemConfig(expiry, {})).path).toBe('scaleOut.sessionExpirySeconds');
    // a group named after a client id prefix that is no topic level: said where to fix it
    const prefix = configWith((y) => y.replace('clientIdPrefix: cicenns', "clientIdPrefix: 'site/a'"));
    expect(loadSystemConfig(prefix, {}).app.mqtt.clientIdPrefix).toBe('site/a'); // fine for one instance
    const e = configError(() => loadSystemConfig(prefix, { CICENNS_INSTANCE: '1' }));
    expect(e).toMatchObject({ file: prefix, path: 'scaleOut.shareGroup' });
    expect(e.reason).toMatch(/mqtt.clientIdPrefix "site\/a"/);
  });

  it('instancePath puts the instance before the extension, in the file name only', () => {
    expect(instancePath('/v/historian-spool.db', '3')).toBe('/v/historian-spool-3.db');
    expect(instancePath('/v.d/spool', '3')).toBe('/v.d/spool-3');
    expect(instancePath('/v/spool.db', '')).toBe('/v/spool.db');
    expect(instancePath(':memory:', '3')).toBe(':memory:');
  });
});
