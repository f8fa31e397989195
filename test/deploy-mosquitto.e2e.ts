/**
 * The shipped broker configuration (deploy/mosquitto) on Debian's real Mosquitto: authentication
 * is required, and the ACL lets only the API send HV commands to the poller.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { connectAs } from './support/mqtt';
import { portOpen, waitFor } from './support/servers';
import { freePort, ROOT } from './support/processes';

jest.setTimeout(30_000);

describe('deploy/mosquitto: authentication and ACL', () => {
  let broker: ChildProcess;
  let port: number;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-acl-'));
    port = await freePort();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const user of ['api', 'poller', 'daq', 'intake'])
      execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwd, user, `${user}-pw`]);
    // the shipped settings, with paths and the port of this test
    const conf = readFileSync(join(ROOT, 'deploy', 'mosquitto', 'cicenns.conf'), 'utf8')
      .replace(/^listener .*$/m, `listener ${port} 127.0.0.1`)
      .replace(/^password_file .*$/m, `password_file ${passwd}`)
      .replace(/^acl_file .*$/m, `acl_file ${join(ROOT, 'deploy', 'mosquitto', 'acl')}`)
      .replace(/^persistence_location .*$/m, `persistence_location ${dir}/`);
    writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\nuser root\n`);
    broker = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitFor('mosquitto with the deploy config', () => portOpen(port));
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    broker?.kill();
  });

  const as = async (user: string | undefined, password?: string): Promise<MqttClient> => {
    const c = await connectAs(`mqtt://127.0.0.1:${port}`, user, password);
    clients.push(c);
    return c;
  };

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(as(undefined)).rejects.toThrow(/Not authorized|Connection refused/i);
    await expect(as('api', 'wrong')).rejects.toThrow(/Not authorized|Connection refused|Bad username/i);
  });

  it('only the api may send HV commands; the poller receives them', async () => {
    const poller = await as('poller', 'poller-pw');
    const got: string[] = [];
    poller.on('message', (_t, p) => got.push(p.toString()));
    await poller.subscribeAsync('cicenns/sc/hv/cmd/write', { qos: 1 });
    const api = await as('api', 'api-pw');
    const daq = await as('daq', 'daq-pw');
    // Mosquitto drops an unauthorised publish silently (MQTT 3.1.1 has no way to say no)
    await daq.publishAsync('cicenns/sc/hv/cmd/write', 'from-daq', { qos: 1 });
    await poller.publishAsync('cicenns/sc/hv/cmd/write', 'from-poller', { qos: 1 });
    await api.publishAsync('cicenns/sc/hv/cmd/write', 'from-api', { qos: 1 });
    // the refused publishes were handled (PUBACKed) before the api's: had they been delivered,
    // they would stand before it on the poller's connection
    await waitFor('the api command', async () => got.includes('from-api'), 5000);
    expect(got).toEqual(['from-api']);
  });

  it('the intake may subscribe to all of the DAQ and beam trees, and gets what the DAQ sends there', async () => {
    const intake = await as('intake', 'intake-pw');
    const got: string[] = [];
    intake.on('message', (t) => got.push(t));
    const granted = await intake.subscribeAsync(['cicenns/daq/#', 'cicenns/beam/#'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const daq = await as('daq', 'daq-pw');
    const topics = [
      'cicenns/daq/pmt/CsI01-A/DCR',
      'cicenns/daq/beam/status',
      'cicenns/beam/state',
      'cicenns/beam/status',
    ];
    for (const t of topics) await daq.publishAsync(t, '{}', { qos: 1 });
    await waitFor('the DAQ messages at the intake', async () => got.length === topics.length, 5000);
    expect(got).toEqual(topics);
  });

  it("the DAQ may publish its topics, not the services' readings", async () => {
    const api = await as('api', 'api-pw');
    const got: string[] = [];
    api.on('message', (_t, p) => got.push(p.toString()));
    await api.subscribeAsync('cicenns/sc/readings/#', { qos: 1 });
    const daq = await as('daq', 'daq-pw');
    await daq.publishAsync('cicenns/sc/readings/poller', '{}', { qos: 1 });
    // a marker from a client allowed to publish there, after the refused one: once it is here,
    // the refused one would have been too
    const poller = await as('poller', 'poller-pw');
    await poller.publishAsync('cicenns/sc/readings/poller', 'marker', { qos: 1 });
    await waitFor('the marker', async () => got.length > 0, 5000);
    expect(got).toEqual(['marker']);
  });
});
