/**
 * The alarm service (a real process) against bad messages from the bus: readings batches that are
 * not JSON, not the schema, carry a time no Date can hold, are nested 20,000 deep or are 1 MB;
 * health reports that are not health. None ends it or stops it judging: a trip published after
 * all of them still raises hv-trip, and each bad message is counted in its health.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { readServerState, waitFor } from './support/servers';
import { ROOT, ServiceProcess } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { testClient } from './support/mqtt';

jest.setTimeout(60_000);

const servers = readServerState();
const READINGS = 'cicenns/sc/readings/test-robust';
const STATUS_TRIPPED = 1 << 6; // generic-hv statusBits 6: tripped

const hvReading = (ts: number, status: number) => ({
  m: 'hv',
  id: 'CsI01-A',
  ts,
  quality: 'good',
  fields: { vset: 1400, vmon: status & STATUS_TRIPPED ? 0 : 1400, imon: 100, status, power: 1 },
  source: 'hv-crystal',
});
const batch = (seq: number, readings: unknown[]) => JSON.stringify({ service: 'test-robust', seq, readings });

describe('the alarm service and bad messages on the bus', () => {
  const prefix = `ar${process.pid}`;
  const { file } = writeTestConfig({
    hvPort: 1,
    tempPort: 2,
    mqttUrl: servers.mqttUrl,
    clientIdPrefix: prefix,
    mutate: (c) => {
      c.alarms = { ...(c.alarms ?? {}), alertmanagerUrl: '' };
    },
  });
  const alarms = new ServiceProcess('alarms', { CICENNS_CONFIG: file, ALERTMANAGER_URL: '' });
  let mqtt: MqttClient;
  const states = new Map<string, { state: string }>();
  let health: { counters: Record<string, number>; detail?: Record<string, unknown> } | undefined;

  beforeAll(async () => {
    mqtt = await testClient(servers.mqttUrl);
    mqtt.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      if (topic === 'cicenns/sc/health/alarms') health = JSON.parse(payload.toString());
      else states.set(topic.slice('cicenns/sc/alarms/state/'.length), JSON.parse(payload.toString()));
    });
    await mqtt.subscribeAsync(['cicenns/sc/alarms/state/hv-trip:CsI01-A', 'cicenns/sc/health/alarms'], {
      qos: 1,
    });
    alarms.start();
    await alarms.waitForOutput(/alarms: \d+ alarms/); // printed once its subscriptions are acknowledged
  });

  afterAll(async () => {
    await alarms.stop();
    // other e2e files share this broker: leave no retained state of ours behind
    for (const t of ['cicenns/sc/alarms/state/hv-trip:CsI01-A', 'cicenns/sc/health/alarms'])
      await mqtt.publishAsync(t, '', { qos: 1, retain: true });
    await mqtt?.endAsync();
  });

  it('keeps judging: a trip after every kind of bad message still raises hv-trip', async () => {
    const now = Date.now();
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const bad: [string, string][] = [
      [READINGS, 'not json {'],
      [READINGS, '{"service":"x","seq":1,"readings":[{"m":"hv"}]}'],
      [READINGS, batch(2, [hvReading(1e308, 1)])], // no Date holds it: refused by the schema
      [READINGS, batch(3, [hvReading(-1e16, 1)])],
      [READINGS, batch(4, [{ ...hvReading(now, 1), id: 'nobody' }])], // an unknown subject
      [READINGS, deep],
      [READINGS, JSON.stringify({ service: 'x', seq: 5, readings: [], pad: 'x'.repeat(1_000_000) })],
      ['cicenns/sc/health/poller', '{"state":"running"}'],
      ['cicenns/sc/health/poller', deep],
    ];
    for (const [topic, payload] of bad) await mqtt.publishAsync(topic, payload, { qos: 1 });
    await mqtt.publishAsync(READINGS, batch(6, [hvReading(now, 1)]), { qos: 1 });
    await mqtt.publishAsync(READINGS, batch(7, [hvReading(now + 1000, 1 | STATUS_TRIPPED)]), { qos: 1 });

    await waitFor(
      'hv-trip:CsI01-A raised',
      async () => states.get('hv-trip:CsI01-A')?.state === 'active-unack',
      20_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; states ${JSON.stringify([...states])}\n${alarms.output.slice(-3000)}`);
    });
    expect(alarms.child?.exitCode).toBeNull();
    // the malformed ones are counted (the unknown subject is no error: nothing to judge): no
    // batch or health at all as bad messages, a bad reading in a batch as a bad reading
    await waitFor(
      'bad messages and readings counted',
      async () => (health?.counters.badMessages ?? 0) >= 4 && (health?.counters.badReadings ?? 0) >= 3,
    );
    expect(
      Object.values(health!.detail?.badReadingReasons as Record<string, number>).reduce((a, b) => a + b),
    ).toBe(health!.counters.badReadings);
    expect(health!.counters.failedMessages ?? 0).toBe(0);
  });
});

describe('a status flag no alarm rule knows', () => {
  it('is named at start-up with the profile file, the bit and the known names', async () => {
    // a crate profile that calls bit 6 "trip" where the rules read "tripped"
    const profiles = mkdtempSync(join(tmpdir(), 'cicenns-profiles-'));
    cpSync(join(ROOT, 'config', 'profiles'), profiles, { recursive: true });
    const generic = join(profiles, 'generic-hv.yaml');
    writeFileSync(generic, readFileSync(generic, 'utf8').replace(/'6': tripped/, "'6': trip"));
    const { file } = writeTestConfig({
      hvPort: 1,
      tempPort: 2,
      mqttUrl: servers.mqttUrl,
      clientIdPrefix: `as${process.pid}`,
      mutate: (c) => {
        c.files.profilesDir = profiles;
        c.alarms = { ...(c.alarms ?? {}), alertmanagerUrl: '' };
      },
    });
    const alarms = new ServiceProcess('alarms', { CICENNS_CONFIG: file, ALERTMANAGER_URL: '' }).start();
    try {
      await alarms.waitForOutput(/alarms: \d+ alarms/);
      expect(alarms.output).toContain(`${generic}: statusBits.6: "trip" is a flag no alarm rule knows`);
      expect(alarms.output).toMatch(/known: .*\btripped\b/);
    } finally {
      await alarms.stop();
      const mqtt = await testClient(servers.mqttUrl);
      await mqtt.publishAsync('cicenns/sc/health/alarms', '', { qos: 1, retain: true });
      await mqtt.endAsync();
    }
  });
});
