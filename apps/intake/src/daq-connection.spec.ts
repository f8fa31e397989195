import { instanceTopics, serviceInstance } from '@cicenns/bus';
import { loadSystemConfig } from '@cicenns/model';
import { DaqConnection, type DaqSink } from './daq-connection';

const sink: DaqSink = { handle: () => undefined, forward: (acked) => acked() };
const ack = { window: 500, idleMs: 2, maxDelayMs: 50 };
const mqtt = { url: 'mqtt://127.0.0.1:1', clientIdPrefix: 'cicenns' };

describe("DaqConnection: the intake's session and subscriptions", () => {
  it('single instance: exactly as before (fixed client id, persistent, MQTT 3.1.1, plain topics)', () => {
    const cfg = loadSystemConfig(undefined, {});
    const inst = serviceInstance(cfg.app, 'intake');
    const o = new DaqConnection(mqtt, sink, ['cicenns/daq/#'], ack, inst).options();
    expect(o).toMatchObject({ clientId: 'cicenns-intake', clean: false, protocolVersion: 4 });
    expect(o.properties).toBeUndefined();
    expect(instanceTopics(['cicenns/daq/#'], inst)).toEqual(['cicenns/daq/#']);
  });

  it('one of several: its own MQTT 5 session kept while away, a shared subscription of the group', () => {
    const cfg = loadSystemConfig(undefined, { CICENNS_INSTANCE: '2' });
    const inst = serviceInstance(cfg.app, 'intake');
    const o = new DaqConnection(mqtt, sink, ['cicenns/daq/#'], ack, inst).options();
    expect(o).toMatchObject({
      clientId: 'cicenns-intake-2',
      clean: false,
      protocolVersion: 5,
      // twice the ack window unacknowledged, as max_inflight_messages 1000 under 3.1.1
      properties: { sessionExpiryInterval: 604800, receiveMaximum: 1000 },
    });
    expect(instanceTopics(['cicenns/daq/#', 'cicenns/beam/#'], inst)).toEqual([
      '$share/cicenns-intake/cicenns/daq/#',
      '$share/cicenns-intake/cicenns/beam/#',
    ]);
  });
});
